import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus } from '@tributary/bus';
import { LogStream, type TaskLogBatch, TaskOutcome } from '@tributary/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startNatsServer,
  type TestNatsServer,
  uniquePrefix,
} from '../../../packages/bus/src/nats-server.test-util.js';
import { compileWorkerOptions } from './options.js';
import { startWorker } from './worker.js';
import {
  bundleBytes,
  collectEvents,
  finishedEventOf,
  memoryLogger,
  outgoingTask,
} from './worker.test-util.js';

const BUNDLE = 'logs-bundle';
let server: TestNatsServer;
let cacheDir: string;

beforeAll(async () => {
  server = await startNatsServer();
  cacheDir = await mkdtemp(join(tmpdir(), 'worker-logs-test-'));
});

afterAll(async () => {
  const open = await server.connectionsSettled(0);
  await server.stop();
  await rm(cacheDir, { recursive: true, force: true });
  expect(open).toBe(0);
});

/** A bus (a coordinator's, with or without the logs stream), a worker on its prefix, and its events. */
async function setUp(withLogStream: boolean) {
  const prefix = uniquePrefix();
  const bus = await connectBus({ servers: server.url, prefix, ...(withLogStream ? { logLimits: {} } : {}) });
  await bus.ensureTopology();
  await bus.bundles.put(BUNDLE, bundleBytes({ 'noop.txt': '' }));
  const collector = collectEvents(bus);
  const logger = memoryLogger();
  const worker = await startWorker(
    compileWorkerOptions({ natsUrl: server.url, prefix, cacheDir, heartbeatIntervalMs: 200 }),
    { logger },
  );
  return {
    bus,
    collector,
    logger,
    async [Symbol.asyncDispose]() {
      await worker.stop();
      await collector.stop();
      await bus.close();
    },
  };
}

async function readStored(bus: Bus, ref: { runId: string; taskId: string; attempt: number }) {
  const batches: TaskLogBatch[] = [];
  for await (const batch of bus.readTaskLogs(ref, { follow: false })) batches.push(batch);
  return batches;
}

describe('shipping task logs from the worker', () => {
  it('stores every line, then the end marker, before it reports the attempt finished', async () => {
    await using setup = await setUp(true);
    const ref = { runId: 'logs-run', taskId: 'talk' };
    await setup.bus.publishTasks([
      outgoingTask(ref, BUNDLE, {
        kind: 'shell',
        command: 'for i in 1 2 3; do echo "out $i"; done; echo "err line" >&2; echo \'{"ok": true}\'',
      }),
    ]);
    const finished = await finishedEventOf(setup.collector.events, ref.runId, ref.taskId);
    expect(finished.outcome).toBe(TaskOutcome.SUCCEEDED);
    // Read as soon as the result is in: nothing may be missing yet.
    const batches = await readStored(setup.bus, { ...ref, attempt: 1 });
    const lines = batches.flatMap((batch) => batch.lines);
    // stdout and stderr are two pipes: each keeps its order, not their interleaving.
    const of = (stream: LogStream) => lines.filter((line) => line.stream === stream).map((line) => line.line);
    expect(of(LogStream.STDOUT)).toEqual(['out 1', 'out 2', 'out 3', '{"ok": true}']);
    expect(of(LogStream.STDERR)).toEqual(['err line']);
    expect(batches.at(-1)?.end).toBe(true);
    expect(batches.reduce((sum, batch) => sum + batch.dropped, 0)).toBe(0);
  });

  it('still runs and reports a task whose log cannot be shipped, warning once', async () => {
    await using setup = await setUp(false);
    const ref = { runId: 'no-stream-run', taskId: 'talk' };
    await setup.bus.publishTasks([
      outgoingTask(ref, BUNDLE, { kind: 'shell', command: 'echo one; echo two; echo \'{"ok": 1}\'' }),
    ]);
    const finished = await finishedEventOf(setup.collector.events, ref.runId, ref.taskId);
    expect(finished.outcome).toBe(TaskOutcome.SUCCEEDED);
    expect(finished.logTail).toEqual(['one', 'two', '{"ok": 1}']);
    const warnings = setup.logger.lines.filter((line) => line.msg.startsWith('cannot ship task log lines'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({ runId: ref.runId, taskId: ref.taskId, attempt: 1 });
  });
});
