import type { CancelNotice, Heartbeat } from '@tributary/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus } from './bus.js';
import { startNatsServer, type TestNatsServer, uniquePrefix, waitFor } from './nats-server.test-util.js';

let server: TestNatsServer;

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  await server.stop();
});

describe('heartbeats and cancel notices', () => {
  it('delivers heartbeats to subscribers until they unsubscribe', async () => {
    const prefix = uniquePrefix();
    await using coordinator = await connectBus({ servers: server.url, prefix });
    await using worker = await connectBus({ servers: server.url, prefix });
    const received: Heartbeat[] = [];
    const unsubscribe = coordinator.subscribeHeartbeats((heartbeat) => received.push(heartbeat));
    await waitFor(() => {
      worker.publishHeartbeat({ workerId: 'w1', pools: ['default'], concurrency: 4 });
      return received.length > 0;
    });
    expect(received[0]).toMatchObject({ workerId: 'w1', pools: ['default'], concurrency: 4 });
    unsubscribe();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const count = received.length;
    worker.publishHeartbeat({ workerId: 'w1' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toHaveLength(count);
  });

  it('delivers cancel notices to every worker', async () => {
    const prefix = uniquePrefix();
    await using coordinator = await connectBus({ servers: server.url, prefix });
    await using w1 = await connectBus({ servers: server.url, prefix });
    await using w2 = await connectBus({ servers: server.url, prefix });
    const seenBy1: CancelNotice[] = [];
    const seenBy2: CancelNotice[] = [];
    w1.subscribeCancels((notice) => seenBy1.push(notice));
    w2.subscribeCancels((notice) => seenBy2.push(notice));
    // Core NATS: a subscription counts only once the server has it, so publish until both have heard.
    await waitFor(() => {
      coordinator.publishCancel({ runId: 'r1', reason: 'user' });
      return seenBy1.length > 0 && seenBy2.length > 0;
    });
    expect(seenBy1[0]).toMatchObject({ runId: 'r1', taskId: '', attempt: 0, reason: 'user' });
    expect(seenBy2[0]).toMatchObject({ runId: 'r1', reason: 'user' });
  });

  it('does not deliver heartbeats across prefixes', async () => {
    await using a = await connectBus({ servers: server.url, prefix: uniquePrefix() });
    await using b = await connectBus({ servers: server.url, prefix: uniquePrefix() });
    const received: Heartbeat[] = [];
    b.subscribeHeartbeats((heartbeat) => received.push(heartbeat));
    const own: Heartbeat[] = [];
    a.subscribeHeartbeats((heartbeat) => own.push(heartbeat));
    await waitFor(() => {
      a.publishHeartbeat({ workerId: 'w' });
      return own.length > 0;
    });
    expect(received).toEqual([]);
  });
});

describe('close', () => {
  it('drains the connection, is idempotent and leaves no connection open', async () => {
    const statuses: string[] = [];
    const bus = await connectBus({
      servers: server.url,
      prefix: uniquePrefix(),
      onStatus: (s) => statuses.push(s),
    });
    await bus.ensureTopology();
    await bus.ensurePool('default');
    bus.subscribeCancels(() => {});
    const controller = new AbortController();
    const loop = bus.consumeTasks({
      pool: 'default',
      maxInFlight: 1,
      signal: controller.signal,
      handle: async () => {},
    });
    controller.abort();
    await loop;
    await Promise.all([bus.close(), bus.close()]);
    await bus.close();
    await waitFor(() => statuses.includes('close'), 2_000).catch(() => {});
    expect(await server.connectionsSettled(0)).toBe(0);
  });
});
