import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus } from './bus.js';
import { startNatsServer, type TestNatsServer, uniquePrefix } from './nats-server.test-util.js';

let server: TestNatsServer;

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  await server.stop();
});

describe('ensureTopology', () => {
  it('creates the streams, the coordinator consumer and the bundle bucket as specified', async () => {
    const prefix = uniquePrefix();
    await using bus = await connectBus({ servers: server.url, prefix });
    await bus.ensureTopology();
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      const tasks = await jsm.streams.info(`${prefix.toUpperCase()}_TASKS`);
      expect(tasks.config).toMatchObject({
        subjects: [`${prefix}.task.>`],
        retention: 'workqueue',
        storage: 'file',
        duplicate_window: 120_000_000_000,
      });
      const events = await jsm.streams.info(`${prefix.toUpperCase()}_EVENTS`);
      expect(events.config).toMatchObject({ subjects: [`${prefix}.event.>`], retention: 'workqueue' });
      const consumer = await jsm.consumers.info(`${prefix.toUpperCase()}_EVENTS`, 'coordinator');
      expect(consumer.config).toMatchObject({
        ack_policy: 'explicit',
        ack_wait: 10_000_000_000,
        max_ack_pending: 20_000,
      });
      const streams = await jsm.streams.names().next();
      expect(streams).toContain(`OBJ_${prefix}-bundles`);
    } finally {
      await nc.close();
    }
  });

  it('is idempotent, also when several processes race', async () => {
    const prefix = uniquePrefix();
    const buses = await Promise.all([1, 2, 3].map(() => connectBus({ servers: server.url, prefix })));
    try {
      await Promise.all(buses.map((bus) => bus.ensureTopology()));
      await Promise.all(buses.map((bus) => bus.ensurePool('default')));
      await buses[0]?.ensureTopology();
      await buses[0]?.ensurePool('default');
    } finally {
      await Promise.all(buses.map((bus) => bus.close()));
    }
    expect(await server.connectionsSettled(0)).toBe(0);
  });

  it('updates the ack wait of an existing pool consumer', async () => {
    const prefix = uniquePrefix();
    {
      await using bus = await connectBus({ servers: server.url, prefix, taskAckWaitMs: 10_000 });
      await bus.ensureTopology();
      await bus.ensurePool('gpu');
    }
    await using bus = await connectBus({ servers: server.url, prefix, taskAckWaitMs: 20_000 });
    await bus.ensurePool('gpu');
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.consumers.info(`${prefix.toUpperCase()}_TASKS`, 'pool-gpu');
      expect(info.config.ack_wait).toBe(20_000_000_000);
      expect(info.config.filter_subject).toBe(`${prefix}.task.gpu`);
    } finally {
      await nc.close();
    }
  });

  it('rejects a pool name that is not a plain word', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix() });
    await expect(bus.ensurePool('a.b')).rejects.toThrow(/pool must match/);
  });
});

describe('connectBus', () => {
  it('fails with Unavailable when no server listens', async () => {
    await expect(connectBus({ servers: 'nats://127.0.0.1:1' })).rejects.toThrow(/cannot connect to NATS/);
  });

  it('rejects a prefix with dots before connecting', async () => {
    await expect(connectBus({ servers: server.url, prefix: 'a.b' })).rejects.toThrow(/prefix must match/);
  });
});
