import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type Bus, connectBus, type ReceivedWorkerEvent, type TaskDelivery } from '@tributary/bus';
import { type Heartbeat, TaskOutcome, valueToJson } from '@tributary/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startNatsServer,
  type TestNatsServer,
  uniquePrefix,
  waitFor,
} from '../../../packages/bus/src/nats-server.test-util.js';
import { compileWorkerOptions } from './options.js';
import { START_REPORT_DELAY_MS } from './start-report.js';
import { type RunningWorker, startWorker } from './worker.js';
import {
  bundleBytes,
  collectEvents,
  finishedEventOf,
  memoryLogger,
  outgoingTask,
} from './worker.test-util.js';

const BUNDLE = 'bundle1';
let server: TestNatsServer;
let prefix: string;
let cacheDir: string;
let bus: Bus;
let collector: ReturnType<typeof collectEvents>;
let worker: RunningWorker;

beforeAll(async () => {
  server = await startNatsServer();
  prefix = uniquePrefix();
  cacheDir = await mkdtemp(join(tmpdir(), 'worker-test-'));
  bus = await connectBus({ servers: server.url, prefix });
  await bus.ensureTopology();
  await bus.bundles.put(
    BUNDLE,
    bundleBytes({
      'transform.mjs':
        'export async function run(ctx) {\n  return { total: ctx.params.base + ctx.inputs.extract.count };\n}\n',
      'hello.sh': 'echo "{\\"greeting\\": \\"hello $1\\"}"\n',
    }),
  );
  collector = collectEvents(bus);
  worker = await start({ pools: ['default', 'second'], concurrency: 2 });
});

afterAll(async () => {
  let open: number | undefined;
  try {
    await worker?.stop();
    await collector?.stop();
    await bus?.close();
    open = await server.connectionsSettled(0);
  } finally {
    await server.stop();
    await rm(cacheDir, { recursive: true, force: true });
  }
  expect(open).toBe(0);
  // A worker stop can take a few seconds under load (pull expiry, process kill grace).
}, 60_000);

function start(overrides: Parameters<typeof compileWorkerOptions>[0]): Promise<RunningWorker> {
  const options = compileWorkerOptions({
    natsUrl: server.url,
    prefix,
    cacheDir,
    heartbeatIntervalMs: 200,
    killGraceMs: 500,
    ...overrides,
  });
  return startWorker(options, { logger: memoryLogger() });
}

/** Whether any process's command line contains `marker` (to prove task processes were killed). */
function processRunning(marker: string): boolean {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).includes(marker);
}

function eventsOf(runId: string): ReceivedWorkerEvent[] {
  return collector.events.filter((received) => received.event.ref?.runId === runId);
}

function finishedOf(runId: string, taskId: string, timeoutMs = 15_000) {
  return finishedEventOf(collector.events, runId, taskId, timeoutMs);
}

describe('worker', () => {
  it('runs a shell task from the bundle and reports it finished with its output', async () => {
    await bus.publishTasks([
      outgoingTask({ runId: 'shell-run', taskId: 'hello' }, BUNDLE, {
        kind: 'shell',
        command: 'sh hello.sh world',
      }),
    ]);
    const finished = await finishedOf('shell-run', 'hello');
    expect(finished.outcome).toBe(TaskOutcome.SUCCEEDED);
    expect(finished.output && valueToJson(finished.output)).toEqual({ greeting: 'hello world' });
    expect(finished.startedAt).toBeDefined();
    // Its start is reported only if it ran longer than START_REPORT_DELAY_MS; the result comes last.
    const events = eventsOf('shell-run');
    expect(events.at(-1)?.event.event.case).toBe('finished');
    expect(events.map((received) => received.event.event.case)).not.toContain(undefined);
    expect(events.at(-1)?.event.workerId).toBe(worker.id);
  });

  it('reports the start of a task that runs past the start report delay, before its result', async () => {
    await bus.publishTasks([
      outgoingTask({ runId: 'slow-run', taskId: 'nap' }, BUNDLE, {
        kind: 'shell',
        command: `sleep ${(START_REPORT_DELAY_MS * 10) / 1000}`,
      }),
    ]);
    await finishedOf('slow-run', 'nap');
    const kinds = eventsOf('slow-run').map((received) => received.event.event.case);
    expect(kinds).toEqual(['started', 'finished']);
  });

  it('runs a node task module with params and upstream inputs', async () => {
    await bus.publishTasks([
      outgoingTask(
        { runId: 'node-run', taskId: 'transform' },
        BUNDLE,
        { kind: 'node', module: './transform.mjs', export: 'run' },
        { params: { base: 10 }, inputs: { extract: { count: 5 } } },
      ),
    ]);
    const finished = await finishedOf('node-run', 'transform');
    expect(finished.error?.message ?? '').toBe('');
    expect(finished.outcome).toBe(TaskOutcome.SUCCEEDED);
    expect(finished.output && valueToJson(finished.output)).toEqual({ total: 15 });
  });

  it('reports a failed shell task with its error and log tail', async () => {
    await bus.publishTasks([
      outgoingTask({ runId: 'fail-run', taskId: 'boom' }, BUNDLE, {
        kind: 'shell',
        command: 'echo oops >&2; exit 3',
      }),
    ]);
    const finished = await finishedOf('fail-run', 'boom');
    expect(finished.outcome).toBe(TaskOutcome.FAILED);
    expect(finished.error?.message).toBeTruthy();
    expect(finished.logTail.join('\n')).toContain('oops');
  });

  it('fails the attempt with BundleNotFound when the bundle is not in the object store', async () => {
    await bus.publishTasks([
      outgoingTask({ runId: 'nobundle-run', taskId: 't' }, 'missing-hash', {
        kind: 'shell',
        command: 'true',
      }),
    ]);
    const finished = await finishedOf('nobundle-run', 't');
    expect(finished.outcome).toBe(TaskOutcome.FAILED);
    expect(finished.error?.type).toBe('BundleNotFound');
  });

  it('never runs more tasks at once than its concurrency, across all its pools', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'worker-concurrency-'));
    const log = join(dir, 'log');
    const command = `echo start >> ${log}; sleep 0.3; echo end >> ${log}`;
    await bus.publishTasks(
      Array.from({ length: 6 }, (_, i) =>
        outgoingTask(
          { runId: 'conc-run', taskId: `t${i}` },
          BUNDLE,
          { kind: 'shell', command },
          {
            pool: i % 2 === 0 ? 'default' : 'second',
          },
        ),
      ),
    );
    await waitFor(
      () => eventsOf('conc-run').filter((received) => received.event.event.case === 'finished').length === 6,
      20_000,
    );
    let running = 0;
    let peak = 0;
    for (const line of (await readFile(log, 'utf8')).trim().split('\n')) {
      running += line === 'start' ? 1 : -1;
      peak = Math.max(peak, running);
    }
    await rm(dir, { recursive: true, force: true });
    expect(peak).toBe(2);
  });

  it('heartbeats its id, pools, concurrency and running attempts', async () => {
    const heartbeats: Heartbeat[] = [];
    const unsubscribe = bus.subscribeHeartbeats((heartbeat) => heartbeats.push(heartbeat));
    try {
      await bus.publishTasks([
        outgoingTask({ runId: 'hb-run', taskId: 'nap' }, BUNDLE, { kind: 'shell', command: 'sleep 1' }),
      ]);
      await waitFor(() =>
        heartbeats.some((heartbeat) => heartbeat.running.some((ref) => ref.runId === 'hb-run')),
      );
      const beat = heartbeats.find((heartbeat) => heartbeat.running.length > 0);
      expect(beat).toMatchObject({
        workerId: worker.id,
        pools: ['default', 'second'],
        concurrency: 2,
        stopping: false,
      });
      expect(beat?.version).toMatch(/^\d+\.\d+\.\d+/);
      await finishedOf('hb-run', 'nap');
    } finally {
      unsubscribe();
    }
  });

  it('aborts a running task on a cancel notice and reports it CANCELLED quickly', async () => {
    const marker = `cancel-marker-${prefix}`;
    await bus.publishTasks([
      outgoingTask({ runId: 'cancel-run', taskId: 'long' }, BUNDLE, {
        kind: 'shell',
        command: `sleep 30; echo ${marker}`,
      }),
    ]);
    await waitFor(() => eventsOf('cancel-run').some((received) => received.event.event.case === 'started'));
    await waitFor(() => processRunning(marker));
    const cancelledAt = Date.now();
    bus.publishCancel({ runId: 'cancel-run', reason: 'user asked' });
    const finished = await finishedOf('cancel-run', 'long', 5_000);
    expect(finished.outcome).toBe(TaskOutcome.CANCELLED);
    expect(Date.now() - cancelledAt).toBeLessThan(3_000);
    expect(processRunning(marker)).toBe(false);
  });

  it('acks tasks of a cancelled run delivered later as CANCELLED without running them', async () => {
    bus.publishCancel({ runId: 'late-run', reason: 'user asked' });
    // Core NATS: give the notice time to arrive before the task does.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await bus.publishTasks([
      outgoingTask({ runId: 'late-run', taskId: 't' }, BUNDLE, { kind: 'shell', command: 'echo ran' }),
    ]);
    const finished = await finishedOf('late-run', 't');
    expect(finished.outcome).toBe(TaskOutcome.CANCELLED);
    expect(eventsOf('late-run').map((received) => received.event.event.case)).toEqual(['finished']);
  });
});

describe('stopping a worker', () => {
  async function poolState(pool: string) {
    const nc = await connect({ servers: server.url });
    try {
      const info = await (await jetstreamManager(nc)).consumers.info(
        `${prefix.toUpperCase()}_TASKS`,
        `pool-${pool}`,
      );
      return { pending: info.num_pending, unacked: info.num_ack_pending };
    } finally {
      await nc.close();
    }
  }

  it('lets a running task finish and acks it, then sends a last heartbeat and disconnects', async () => {
    const graceful = await start({ pools: ['graceful'], shutdownGraceMs: 10_000 });
    const heartbeats: Heartbeat[] = [];
    const unsubscribe = bus.subscribeHeartbeats((heartbeat) => {
      if (heartbeat.workerId === graceful.id) heartbeats.push(heartbeat);
    });
    const connectionsBefore = await server.connections();
    await bus.publishTasks([
      outgoingTask(
        { runId: 'stop-run', taskId: 'short' },
        BUNDLE,
        { kind: 'shell', command: 'sleep 0.5; echo \'{"ok":true}\'' },
        {
          pool: 'graceful',
        },
      ),
    ]);
    await waitFor(() => eventsOf('stop-run').some((received) => received.event.event.case === 'started'));
    await graceful.stop();
    const finished = await finishedOf('stop-run', 'short', 1_000);
    expect(finished.outcome).toBe(TaskOutcome.SUCCEEDED);
    expect(await poolState('graceful')).toEqual({ pending: 0, unacked: 0 });
    // The last heartbeat may still be on its way from the server to this connection.
    await waitFor(() => heartbeats.at(-1)?.stopping === true, 2_000);
    unsubscribe();
    await expect(graceful.done).resolves.toBeUndefined();
    const connections = await server.connectionsSettled(connectionsBefore - 1);
    expect(connections).toBe(connectionsBefore - 1);
  });

  it('hands a task that outlives the grace period back to the queue instead of reporting it', async () => {
    const impatient = await start({ pools: ['impatient'], shutdownGraceMs: 200 });
    const marker = `grace-marker-${prefix}`;
    await bus.publishTasks([
      outgoingTask(
        { runId: 'grace-run', taskId: 'long' },
        BUNDLE,
        { kind: 'shell', command: `sleep 30; echo ${marker}` },
        {
          pool: 'impatient',
        },
      ),
    ]);
    await waitFor(() => eventsOf('grace-run').some((received) => received.event.event.case === 'started'));
    const stoppedAt = Date.now();
    await impatient.stop();
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(eventsOf('grace-run').map((received) => received.event.event.case)).toEqual(['started']);
    expect(processRunning(marker)).toBe(false);
    // Handed back with a nak: redelivered at once, not after the 30s ack wait.
    const redelivered: TaskDelivery[] = [];
    const controller = new AbortController();
    const loop = bus.consumeTasks({
      pool: 'impatient',
      maxInFlight: 1,
      signal: controller.signal,
      handle: async (delivery) => {
        redelivered.push(delivery);
        delivery.term();
      },
    });
    await waitFor(() => redelivered.length === 1, 3_000);
    controller.abort();
    await loop;
    expect(redelivered[0]).toMatchObject({ redelivered: true, deliveryCount: 2 });
    expect(redelivered[0]?.message.runId).toBe('grace-run');
  });
});
