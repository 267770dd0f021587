import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBus } from '@tributary/bus';
import type { Heartbeat } from '@tributary/proto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  startNatsServer,
  type TestNatsServer,
  uniquePrefix,
  waitFor,
} from '../../../packages/bus/src/nats-server.test-util.js';
import { runWorkerMain } from './main.js';

let server: TestNatsServer;
let cacheDir: string;

beforeAll(async () => {
  server = await startNatsServer();
  cacheDir = await mkdtemp(join(tmpdir(), 'worker-main-'));
});

afterAll(async () => {
  await server.stop();
  await rm(cacheDir, { recursive: true, force: true });
});

describe('runWorkerMain', () => {
  it('runs a worker configured from env and flags until SIGTERM, then stops gracefully', async () => {
    const prefix = uniquePrefix();
    await using bus = await connectBus({ servers: server.url, prefix });
    const heartbeats: Heartbeat[] = [];
    bus.subscribeHeartbeats((heartbeat) => heartbeats.push(heartbeat));
    // The worker logs JSON lines to stderr; keep the test output clean.
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const listenersBefore = process.listenerCount('SIGTERM');
    try {
      const main = runWorkerMain(
        { pools: 'mainpool', heartbeatIntervalMs: 100, cacheDir, workerId: 'main-test' },
        {
          NATS_URL: server.url,
          TRIBUTARY_NATS_PREFIX: prefix,
          TRIBUTARY_LOG_FORMAT: 'json',
          // A free port: tests run in parallel, and the default one may be taken.
          TRIBUTARY_METRICS_LISTEN: '127.0.0.1:0',
        },
        process.stderr,
      );
      await waitFor(() => heartbeats.some((heartbeat) => heartbeat.workerId === 'main-test'));
      expect(heartbeats[0]?.pools).toEqual(['mainpool']);
      process.emit('SIGTERM', 'SIGTERM');
      await main;
      await waitFor(() => heartbeats.at(-1)?.stopping === true, 2_000);
      expect(process.listenerCount('SIGTERM')).toBe(listenersBefore);
      const logged = stderr.mock.calls.map(([line]) => JSON.parse(String(line)) as { msg: string });
      expect(logged.map((line) => line.msg)).toContain('worker stopped');
      expect(logged.map((line) => line.msg)).toContain('metrics listening');
    } finally {
      stderr.mockRestore();
    }
  });

  it('rejects bad flags before connecting', async () => {
    await expect(runWorkerMain({ concurrency: 0 }, {})).rejects.toThrow(
      'concurrency must be a positive integer, got 0',
    );
  });
});
