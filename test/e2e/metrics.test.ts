import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStateFromProto, taskStateFromProto } from '@tributary/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, stopAll, waitFor } from '../harness/index.js';
import { type Cluster, metricsAddress, REPO_ROOT, startCluster } from './cluster.js';

/** One sample of the Prometheus text format: `name{label="value",...} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (comments skipped; no timestamps are sent). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = raw!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** A scrape of one process's endpoint, summed per series over the labels a test asks about. */
class Scrape {
  constructor(readonly samples: Sample[]) {}

  /** The sum of every sample of `name` whose labels include `labels`; 0 when there is none. */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((total, s) => total + s.value, 0);
  }

  has(name: string, labels: Record<string, string> = {}): boolean {
    return this.samples.some(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
  }
}

async function scrape(address: string): Promise<Scrape> {
  const response = await fetch(`http://${address}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Scrape(parseExposition(await response.text()));
}

/** Scrapes every worker and adds their samples up, as `sum()` over the workers' targets would. */
async function scrapeWorkers(addresses: readonly string[]): Promise<Scrape> {
  const scrapes = await Promise.all(addresses.map(scrape));
  return new Scrape(scrapes.flatMap((s) => s.samples));
}

const DAG = 'metrics';
let cluster: Cluster;
let coordinator: string;
let workers: string[];
let gateDir: string;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2 });
  coordinator = await metricsAddress(cluster.coordinator);
  workers = await Promise.all(cluster.workers.map((worker) => metricsAddress(worker)));
  await cluster.client.deployDagFolder(join(REPO_ROOT, 'test', 'fixtures', 'dags', 'metrics'));
  gateDir = await mkdtemp(join(tmpdir(), 'tributary-metrics-gate-'));
});

afterAll(async () => {
  cluster?.client.close();
  await stopAll();
  if (gateDir) await rm(gateDir, { recursive: true, force: true });
});

describe('the Prometheus endpoints of a cluster', () => {
  it('serve each process on its own port, and only /metrics', async () => {
    expect(new Set([coordinator, ...workers]).size).toBe(3);
    const other = await fetch(`http://${coordinator}/other`);
    expect(other.status).toBe(404);
    const before = await scrape(coordinator);
    expect(before.sum('tributary_coordinator_leader')).toBe(1);
    // Node's process metrics on both kinds of process.
    expect(before.has('process_resident_memory_bytes')).toBe(true);
    expect((await scrape(workers[0]!)).has('nodejs_eventloop_lag_seconds')).toBe(true);
    // Live workers come from the registry the leader writes from heartbeats, once a second.
    await waitFor(
      async () => (await scrape(coordinator)).sum('tributary_live_workers', { pool: 'default' }) === 2,
      {
        description: 'the coordinator to report two live workers in pool default',
      },
    );
  });

  it('count a run as it goes: tasks by final state, attempts, a retry, dispatch latency and worker attempts', async () => {
    const gate = join(gateDir, 'open');
    const { run } = await cluster.client.triggerRun({ dag: DAG, params: { gate } });
    const runId = run!.id;

    // While the first task waits at its gate: the run is active, a worker holds the task, nothing finished.
    await waitFor(
      async () => {
        const view = await cluster.client.getRun(runId);
        return view.tasks.find(
          (task) => task.taskId === 'extract' && taskStateFromProto(task.state) === 'running',
        );
      },
      { description: 'extract to be running' },
    );
    const during = await scrape(coordinator);
    expect(during.sum('tributary_runs_created_total', { dag: DAG })).toBe(1);
    expect(during.sum('tributary_active_runs', { dag: DAG, state: 'running' })).toBe(1);
    expect(during.sum('tributary_tasks_finished_total', { dag: DAG })).toBe(0);
    expect(during.sum('tributary_queue_depth', { pool: 'default' })).toBe(0);
    expect((await scrapeWorkers(workers)).sum('tributary_worker_tasks_running', { pool: 'default' })).toBe(1);

    await writeFile(gate, '');
    await waitFor(
      async () => {
        const view = await cluster.client.getRun(runId);
        return runStateFromProto(view.state) === 'failed';
      },
      { description: 'the run to fail (broken fails for good)', timeoutMs: 30_000 },
    );

    const after = await waitFor(
      async () => {
        const s = await scrape(coordinator);
        return s.sum('tributary_runs_finished_total', { dag: DAG }) === 1 ? s : undefined;
      },
      { description: 'the finished run to be counted' },
    );
    expect(after.sum('tributary_runs_finished_total', { dag: DAG, state: 'failed' })).toBe(1);
    // Every task of the DAG once, by its final state.
    expect(after.sum('tributary_tasks_finished_total', { dag: DAG })).toBe(4);
    const finished = (state: string) => after.sum('tributary_tasks_finished_total', { dag: DAG, state });
    expect([finished('succeeded'), finished('failed'), finished('upstream_failed')]).toEqual([2, 1, 1]);
    // flaky failed once, then succeeded; broken failed once; extract succeeded; report never ran.
    const attempts = (state: string) =>
      after.sum('tributary_task_attempts_total', { dag: DAG, pool: 'default', state });
    expect([attempts('succeeded'), attempts('failed')]).toEqual([2, 2]);
    expect(after.sum('tributary_task_attempts_total', { dag: DAG })).toBe(4);
    expect(after.sum('tributary_task_retries_total', { dag: DAG, pool: 'default' })).toBe(1);
    expect(after.sum('tributary_lost_attempts_total')).toBe(0);
    // Four attempts started, each observed once from queued to started, and once from started to end.
    expect(after.sum('tributary_dispatch_latency_seconds_count', { pool: 'default' })).toBe(4);
    expect(after.sum('tributary_task_duration_seconds_count', { dag: DAG })).toBe(4);
    expect(after.sum('tributary_active_runs', { dag: DAG })).toBe(0);
    expect(after.sum('tributary_queue_depth', { pool: 'default' })).toBe(0);
    expect(after.sum('tributary_queue_oldest_age_seconds', { pool: 'default' })).toBe(0);
    expect(
      after.sum('tributary_db_round_trip_seconds_count', { operation: 'tick_transaction' }),
    ).toBeGreaterThan(0);
    expect(
      after.sum('tributary_nats_round_trip_seconds_count', { operation: 'publish_tasks' }),
    ).toBeGreaterThan(0);
    expect(after.sum('tributary_live_workers', { pool: 'default' })).toBe(2);
    expect(after.sum('tributary_coordinator_leader')).toBe(1);

    // A worker counts an attempt once its result is acked, which may be just after the run finished.
    const fromWorkers = await waitFor(
      async () => {
        const s = await scrapeWorkers(workers);
        return s.sum('tributary_worker_attempts_total') === 4 ? s : undefined;
      },
      { description: 'the workers to count four attempts' },
    );
    const outcome = (value: string) =>
      fromWorkers.sum('tributary_worker_attempts_total', { pool: 'default', kind: 'shell', outcome: value });
    expect([outcome('succeeded'), outcome('failed')]).toEqual([2, 2]);
    expect(fromWorkers.sum('tributary_worker_task_duration_seconds_count', { kind: 'shell' })).toBe(4);
    // finished of each attempt, and started of those that ran past the start report delay (extract, at
    // its gate, did), each acknowledged by JetStream.
    const eventPublishes = fromWorkers.sum('tributary_worker_nats_round_trip_seconds_count', {
      operation: 'publish_event',
    });
    expect(eventPublishes).toBeGreaterThanOrEqual(5);
    expect(eventPublishes).toBeLessThanOrEqual(8);
    expect(fromWorkers.sum('tributary_worker_tasks_running', { pool: 'default' })).toBe(0);
    expect(fromWorkers.sum('tributary_worker_concurrency')).toBe(8);
  });

  it('leave the Postgres gauges and the counting to the leader: a follower reports leader 0 and nothing else', async () => {
    const follower = await cluster.startCoordinator(`127.0.0.1:${await freePort()}`);
    const scraped = await scrape(await metricsAddress(follower));
    expect(scraped.sum('tributary_coordinator_leader')).toBe(0);
    for (const gauge of ['tributary_queue_depth', 'tributary_live_workers', 'tributary_active_runs'])
      expect(scraped.has(gauge), gauge).toBe(false);
    expect(scraped.sum('tributary_tasks_finished_total')).toBe(0);
    // The leader still leads and reports them.
    const leader = await scrape(coordinator);
    expect(leader.sum('tributary_coordinator_leader')).toBe(1);
    expect(leader.sum('tributary_live_workers', { pool: 'default' })).toBe(2);
    await follower.stop();
  });
});
