import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { TaskOutcome } from '@tributary/proto';
import { describe, expect, it } from 'vitest';
import { connectBus } from './bus.js';
import { uniquePrefix, useNatsServer, waitFor } from './nats-server.test-util.js';
import { createTopologyNames } from './subjects.js';
import type { Bus, ConsumeWorkerEventsOptions, ReceivedWorkerEvent, WorkerEventInit } from './types.js';

const server = useNatsServer();

async function setUp(): Promise<Bus> {
  const bus = await connectBus({ servers: server.url, prefix: uniquePrefix() });
  await bus.ensureTopology();
  return bus;
}

function started(taskId: string): WorkerEventInit {
  return { ref: { runId: 'r1', taskId, attempt: 1 }, workerId: 'w1', event: { case: 'started', value: {} } };
}

function finished(taskId: string): WorkerEventInit {
  return {
    ref: { runId: 'r1', taskId, attempt: 1 },
    workerId: 'w1',
    event: { case: 'finished', value: { outcome: TaskOutcome.SUCCEEDED } },
  };
}

/** Publishes `count` finished events each in its own message (each awaited, so each its own turn). */
async function publishOneByOne(bus: Bus, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await bus.publishWorkerEvent(finished(`t${i}`));
}

/** Consumes until `until` holds; returns every batch handled. */
async function consumeUntil(
  bus: Bus,
  until: (batches: ReceivedWorkerEvent[][]) => boolean,
  options: Partial<ConsumeWorkerEventsOptions> = {},
): Promise<ReceivedWorkerEvent[][]> {
  const batches: ReceivedWorkerEvent[][] = [];
  const controller = new AbortController();
  const loop = bus.consumeWorkerEvents({
    signal: controller.signal,
    handle: async (batch) => {
      batches.push(batch);
    },
    ...options,
  });
  try {
    await waitFor(() => until(batches), 10_000);
  } finally {
    controller.abort();
    await loop;
  }
  return batches;
}

describe('publishWorkerEvent and consumeWorkerEvents', () => {
  it('delivers started and finished events in order', async () => {
    await using bus = await setUp();
    await bus.publishWorkerEvent(started('a'));
    await bus.publishWorkerEvent(finished('a'));
    const batches = await consumeUntil(bus, (seen) => seen.flat().length === 2);
    const events = batches.flat();
    expect(events.map((received) => received.event.event.case)).toEqual(['started', 'finished']);
    expect(events[0]?.redelivered).toBe(false);
  });

  it('puts the events reported in one turn of the event loop into one message', async () => {
    await using bus = await setUp();
    await Promise.all(['a', 'b', 'c'].map((id) => bus.publishWorkerEvent(finished(id))));
    await bus.publishWorkerEvent(finished('d'));
    const batches = await consumeUntil(bus, (seen) => seen.flat().length === 4);
    expect(batches.flat().map((received) => received.event.ref?.taskId)).toEqual(['a', 'b', 'c', 'd']);
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(createTopologyNames(bus.prefix).eventsStream);
      // Two messages went in (both since consumed: the stream's sequence says how many ever came).
      expect(info.state.last_seq).toBe(2);
    } finally {
      await nc.close();
    }
  });

  it('hands many waiting events over in one batch, up to batchSize', async () => {
    await using bus = await setUp();
    await publishOneByOne(bus, 25);
    const batches = await consumeUntil(bus, (seen) => seen.flat().length === 25, { batchSize: 10 });
    expect(batches[0]).toHaveLength(10);
    expect(Math.max(...batches.map((batch) => batch.length))).toBe(10);
  });

  it('says it caught up only after a batch that was not full was handled', async () => {
    await using bus = await setUp();
    await publishOneByOne(bus, 25);
    const published = Date.now();
    const caughtUp: { at: number; seen: number }[] = [];
    let handled = 0;
    await consumeUntil(bus, () => caughtUp.length > 0, {
      batchSize: 10,
      handle: async (batch) => {
        handled += batch.length;
      },
      onCaughtUp: (at) => caughtUp.push({ at, seen: handled }),
    });
    // Two full batches of 10 did not count; the third (5) did, with the time its fetch was sent.
    expect(caughtUp[0]?.seen).toBe(25);
    expect(caughtUp[0]?.at).toBeGreaterThanOrEqual(published);
  });

  it('acks only after handle resolves: a batch whose handler throws is delivered again', async () => {
    await using bus = await setUp();
    await bus.publishWorkerEvent(finished('a'));
    let calls = 0;
    const errors: unknown[] = [];
    const seen: ReceivedWorkerEvent[][] = [];
    const controller = new AbortController();
    const loop = bus.consumeWorkerEvents({
      signal: controller.signal,
      onError: (error) => errors.push(error),
      handle: async (batch) => {
        calls++;
        if (calls === 1) throw new Error('commit failed');
        seen.push(batch);
      },
    });
    await waitFor(() => seen.length === 1);
    controller.abort();
    await loop;
    expect(seen[0]?.[0]?.redelivered).toBe(true);
    expect(errors).toEqual([expect.objectContaining({ message: 'commit failed' })]);
    // Acked after the successful handle: nothing comes back.
    const again = await consumeUntil(bus, () => true, { maxWaitMs: 300 });
    expect(again).toEqual([]);
  });

  it('terms an undecodable message and reports it', async () => {
    await using bus = await setUp();
    const nc = await connect({ servers: server.url });
    try {
      await jetstream(nc).publish(bus.subjects.events, new Uint8Array([0xff, 0xff, 0xff]));
    } finally {
      await nc.close();
    }
    await bus.publishWorkerEvent(finished('good'));
    const errors: unknown[] = [];
    const batches = await consumeUntil(bus, (seen) => seen.flat().length === 1, {
      onError: (error) => errors.push(error),
    });
    expect(batches.flat().map((received) => received.event.ref?.taskId)).toEqual(['good']);
    expect(errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/undecodable/) })]);
  });

  it('backs off instead of spinning when the consumer does not exist', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix() });
    const errors: unknown[] = [];
    const controller = new AbortController();
    const loop = bus.consumeWorkerEvents({
      signal: controller.signal,
      onError: (error) => errors.push(error),
      handle: async () => {},
    });
    await waitFor(() => errors.length > 0, 10_000);
    const before = errors.length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    controller.abort();
    await loop;
    expect(errors[0]).toMatchObject({
      message: expect.stringMatching(/no answer to pull request on coordinator/),
    });
    expect(errors.length - before).toBeLessThan(5);
  });

  it('refuses an event without a ref', async () => {
    await using bus = await setUp();
    await expect(
      bus.publishWorkerEvent({ workerId: 'w', event: { case: 'started', value: {} } }),
    ).rejects.toThrow(/needs a ref/);
  });

  it('gives up with Cancelled when the signal aborts before JetStream acks', async () => {
    // No topology: the publish can never be acked.
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix() });
    const signal = AbortSignal.timeout(300);
    await expect(bus.publishWorkerEvent(finished('a'), { signal })).rejects.toThrow(/gave up publishing/);
  });
});
