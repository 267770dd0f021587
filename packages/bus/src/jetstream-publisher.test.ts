import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Code } from '@tributary/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamPublisher } from './jetstream-publisher.js';
import { uniquePrefix, useNatsServer } from './nats-server.test-util.js';

const server = useNatsServer();
let nc: NatsConnection;
const stream = uniquePrefix().toUpperCase();
const subject = `${stream.toLowerCase()}.in`;

beforeAll(async () => {
  nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [subject], duplicate_window: 60_000_000_000 });
});

afterAll(async () => {
  await nc.close();
});

async function storedMessages(): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(stream)).state.messages;
}

describe('JetStreamPublisher', () => {
  it('resolves once the stream stored each message, and stores a repeated message id once', async () => {
    const publisher = new JetStreamPublisher(nc);
    const before = await storedMessages();
    await Promise.all([
      publisher.publish(subject, new Uint8Array([1]), { msgId: 'one' }),
      publisher.publish(subject, new Uint8Array([2]), { msgId: 'two' }),
    ]);
    await publisher.publish(subject, new Uint8Array([1]), { msgId: 'one' });
    expect((await storedMessages()) - before).toBe(2);
  });

  it('rejects as Unavailable when no stream listens on the subject', async () => {
    const publisher = new JetStreamPublisher(nc);
    await expect(publisher.publish('nobody.listens.here', new Uint8Array([1]))).rejects.toMatchObject({
      code: Code.Unavailable,
      message: expect.stringMatching(/no JetStream stream listens on nobody\.listens\.here/),
    });
  });

  it('rejects as Unavailable when no ack comes within the timeout', async () => {
    // A core NATS subscriber that never answers stands in for a stream that does not ack.
    const silent = nc.subscribe('silent.subject');
    try {
      const publisher = new JetStreamPublisher(nc, { timeoutMs: 300 });
      await expect(publisher.publish('silent.subject', new Uint8Array([1]))).rejects.toMatchObject({
        code: Code.Unavailable,
        message: expect.stringMatching(/did not ack a publish on silent\.subject within 300ms/),
      });
    } finally {
      silent.unsubscribe();
    }
  });

  it('rejects what is pending when it is closed', async () => {
    const silent = nc.subscribe('silent.close');
    try {
      const publisher = new JetStreamPublisher(nc);
      const pending = publisher.publish('silent.close', new Uint8Array([1]));
      publisher.close();
      await expect(pending).rejects.toMatchObject({ code: Code.Unavailable });
    } finally {
      silent.unsubscribe();
    }
  });
});
