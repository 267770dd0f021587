import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { Code } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { connectBus } from './bus.js';
import { uniquePrefix, useNatsServer, waitFor } from './nats-server.test-util.js';
import type { Bus, ConsumeTriggerEventsOptions, TriggerMessage } from './types.js';

const server = useNatsServer();
const SEVEN_DAYS_NS = 7 * 24 * 60 * 60 * 1_000_000_000;

/** A bus with its own prefix, and a subject root of its own for the "user" subjects of one test. */
async function setUp(): Promise<{ bus: Bus; root: string; stream: string }> {
  const prefix = uniquePrefix();
  const bus = await connectBus({ servers: server.url, prefix });
  return { bus, root: `orders-${prefix}`, stream: `${prefix.toUpperCase()}_TRIGGERS` };
}

/** Runs `use` with a plain connection and its JetStream manager, closed afterwards. */
async function withNats<T>(use: (nc: NatsConnection, jsm: JetStreamManager) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: server.url });
  try {
    return await use(nc, await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

async function streamSubjects(stream: string): Promise<string[] | null> {
  return withNats(async (_nc, jsm) => {
    try {
      return (await jsm.streams.info(stream)).config.subjects;
    } catch {
      return null;
    }
  });
}

/** Consumes until `until` holds; returns every message handled. */
async function consumeUntil(
  bus: Bus,
  until: (seen: TriggerMessage[]) => boolean,
  options: Partial<ConsumeTriggerEventsOptions> = {},
): Promise<TriggerMessage[]> {
  const seen: TriggerMessage[] = [];
  const controller = new AbortController();
  const loop = bus.consumeTriggerEvents({
    signal: controller.signal,
    handle: async (batch) => {
      seen.push(...batch);
    },
    ...options,
  });
  try {
    await waitFor(() => until(seen), 10_000);
  } finally {
    controller.abort();
    await loop;
  }
  return seen;
}

describe('ensureTriggerStream', () => {
  it('creates a WorkQueue file stream kept 7 days, with the coordinator consumer', async () => {
    const { bus, root, stream } = await setUp();
    await using _ = bus;
    await bus.ensureTriggerStream([`${root}.created`]);
    await withNats(async (_nc, jsm) => {
      const info = await jsm.streams.info(stream);
      expect(info.config).toMatchObject({
        subjects: [`${root}.created`],
        retention: 'workqueue',
        storage: 'file',
        max_age: SEVEN_DAYS_NS,
      });
      const consumer = await jsm.consumers.info(stream, 'coordinator');
      expect(consumer.config).toMatchObject({ ack_policy: 'explicit', max_deliver: -1 });
    });
  });

  it('keeps the subjects minimal and follows the set as it changes, deleting the stream when it is empty', async () => {
    const { bus, root, stream } = await setUp();
    await using _ = bus;
    await bus.ensureTriggerStream([`${root}.created`, `${root}.>`, `${root}.*.eu`, `pay-${root}.done`]);
    expect(await streamSubjects(stream)).toEqual([`${root}.>`, `pay-${root}.done`]);
    await bus.ensureTriggerStream([`${root}.created`, `${root}.*.eu`]);
    expect(await streamSubjects(stream)).toEqual([`${root}.*.eu`, `${root}.created`]);
    // Partly overlapping subjects: one stream cannot hold both, so it holds what covers them.
    await bus.ensureTriggerStream([`${root}.*.eu`, `${root}.created.*`]);
    expect(await streamSubjects(stream)).toEqual([`${root}.*.*`]);
    await bus.ensureTriggerStream([]);
    expect(await streamSubjects(stream)).toBeNull();
    // Deleting what is not there is fine too.
    await bus.ensureTriggerStream([]);
  });

  it("refuses a subject overlapping Tributary's own subjects, naming it", async () => {
    const { bus, stream } = await setUp();
    await using _ = bus;
    const own = `${bus.prefix}.task.*`;
    await expect(bus.ensureTriggerStream(['fine.subject', own])).rejects.toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringContaining(`'${own}' overlaps Tributary's own subjects ${bus.prefix}.>`),
    });
    expect(await streamSubjects(stream)).toBeNull();
  });

  it('fails with FailedPrecondition naming the other stream that holds a subject', async () => {
    const { bus, root } = await setUp();
    await using _ = bus;
    const userStream = `USER_${bus.prefix.toUpperCase()}`;
    await withNats((_nc, jsm) => jsm.streams.add({ name: userStream, subjects: [`${root}.created.*`] }));
    try {
      await expect(bus.ensureTriggerStream([`${root}.>`])).rejects.toMatchObject({
        code: Code.FailedPrecondition,
        message: expect.stringContaining(`'${root}.>' overlaps the subjects of stream ${userStream}`),
      });
    } finally {
      await withNats((_nc, jsm) => jsm.streams.delete(userStream));
    }
  });
});

describe('consumeTriggerEvents', () => {
  it('hands over subject, body, first header values, stream sequence and publish time, then acks', async () => {
    const { bus, root, stream } = await setUp();
    await using _ = bus;
    await bus.ensureTriggerStream([`${root}.>`]);
    const before = Date.now();
    await withNats(async (nc) => {
      const js = jetstream(nc);
      const h = headers();
      h.append('Source', 'shop');
      h.append('Source', 'second value');
      await js.publish(`${root}.created`, JSON.stringify({ id: 7 }), { headers: h });
      await js.publish(`${root}.deleted.eu`, 'plain text');
    });
    const after = Date.now();
    const seen = await consumeUntil(bus, (messages) => messages.length === 2);
    expect(
      seen.map(({ subject, data, headers, streamSequence, redelivered }) => ({
        subject,
        body: new TextDecoder().decode(data),
        headers,
        streamSequence,
        redelivered,
      })),
    ).toEqual([
      {
        subject: `${root}.created`,
        body: '{"id":7}',
        headers: { Source: 'shop' },
        streamSequence: 1,
        redelivered: false,
      },
      {
        subject: `${root}.deleted.eu`,
        body: 'plain text',
        headers: {},
        streamSequence: 2,
        redelivered: false,
      },
    ]);
    // The server's clock, on this same machine: within the publishing window (rounded down to ms).
    for (const message of seen) {
      expect(message.publishedAt).toBeGreaterThanOrEqual(before - 1);
      expect(message.publishedAt).toBeLessThanOrEqual(after);
    }
    // Acked on a WorkQueue stream: removed from it. Closing drains the connection, acks included.
    await bus.close();
    await withNats(async (_nc, jsm) => {
      const info = await jsm.streams.info(stream);
      expect(info.state.messages).toBe(0);
    });
  });

  it('naks a batch whose handler throws: it comes again, with the same stream sequence', async () => {
    const { bus, root, stream } = await setUp();
    await using _ = bus;
    await bus.ensureTriggerStream([`${root}.created`]);
    await withNats((nc) => jetstream(nc).publish(`${root}.created`, '{}'));
    let calls = 0;
    const errors: unknown[] = [];
    const handled: TriggerMessage[] = [];
    await consumeUntil(bus, () => handled.length === 1, {
      onError: (error) => errors.push(error),
      handle: async (batch) => {
        calls++;
        if (calls === 1) throw new Error('transaction failed');
        handled.push(...batch);
      },
    });
    expect(handled).toMatchObject([{ subject: `${root}.created`, streamSequence: 1, redelivered: true }]);
    expect(errors).toEqual([expect.objectContaining({ message: 'transaction failed' })]);
    const again = await consumeUntil(bus, () => true, { maxWaitMs: 300 });
    expect(again).toEqual([]);
    // Closing drains the connection: the acks (sent without waiting) have reached the server.
    await bus.close();
    await withNats(async (_nc, jsm) => {
      expect((await jsm.streams.info(stream)).state.messages).toBe(0);
    });
  });
});
