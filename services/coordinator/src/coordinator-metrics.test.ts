import type { Logger } from '@tributary/core';
import type { Sql } from 'postgres';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ActiveRun } from './active-runs.js';
import { createCoordinatorMetrics } from './coordinator-metrics.js';
import { type AttemptEnded, TickFacts } from './tick-facts.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A run of `dag`: the metrics read nothing else of it. */
const runOf = (dag: string) => ({ id: `run-of-${dag}`, version: { dag } }) as unknown as ActiveRun;

/** A database the unit tests never reach: the Postgres gauges are the leader's, and these coordinators follow. */
const unreachable = {
  begin: () => Promise.reject(new Error('postgres is not reachable in unit tests')),
} as unknown as Sql;

function setup(overrides: { isLeader?: () => boolean; sql?: Sql; queryTimeoutMs?: number } = {}) {
  const registry = new Registry();
  const metrics = createCoordinatorMetrics({
    registry,
    isLeader: overrides.isLeader ?? (() => false),
    sql: overrides.sql ?? unreachable,
    logger: silent,
    heartbeatTimeoutMs: 15_000,
    ...(overrides.queryTimeoutMs === undefined ? {} : { queryTimeoutMs: overrides.queryTimeoutMs }),
  });
  return { registry, metrics };
}

/** The value of one series, or undefined when the registry has no such series. */
async function value(registry: Registry, name: string, labels: Record<string, string> = {}) {
  // A histogram's samples (`_bucket`, `_sum`, `_count`) belong to the metric without the suffix.
  const base = name.replace(/_(bucket|sum|count)$/, '');
  const metric = registry.getSingleMetric(base);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? base) === name &&
      Object.keys(labels).length === Object.keys(v.labels).length &&
      Object.entries(labels).every(([key, expected]) => String(v.labels[key]) === expected),
  )?.value;
}

function ended(dag: string, fields: Partial<AttemptEnded>): AttemptEnded {
  return {
    run: runOf(dag),
    taskId: 'extract',
    attempt: 1,
    pool: 'default',
    state: 'succeeded',
    workerId: 'w1',
    queuedAt: 1_000,
    startedAt: 1_500,
    finishedAt: 4_000,
    error: null,
    retryAt: null,
    ...fields,
  };
}

describe('the coordinator metrics observer', () => {
  it('counts runs created and finished, and tasks finished, by DAG and state', async () => {
    const { registry, metrics } = setup();
    const facts = new TickFacts();
    facts.runsCreated.push(runOf('etl'), runOf('etl'), runOf('ml'));
    facts.runsFinished.push({ run: runOf('etl'), state: 'failed', finishedAt: 9_000 });
    facts.tasksFinished.push(
      { run: runOf('etl'), taskId: 'a', state: 'succeeded' },
      { run: runOf('etl'), taskId: 'b', state: 'succeeded' },
      { run: runOf('etl'), taskId: 'c', state: 'upstream_failed' },
    );
    metrics.observer.observe(facts);

    expect(await value(registry, 'tributary_runs_created_total', { dag: 'etl' })).toBe(2);
    expect(await value(registry, 'tributary_runs_created_total', { dag: 'ml' })).toBe(1);
    expect(await value(registry, 'tributary_runs_finished_total', { dag: 'etl', state: 'failed' })).toBe(1);
    expect(await value(registry, 'tributary_tasks_finished_total', { dag: 'etl', state: 'succeeded' })).toBe(
      2,
    );
    expect(
      await value(registry, 'tributary_tasks_finished_total', { dag: 'etl', state: 'upstream_failed' }),
    ).toBe(1);
  });

  it('counts ended attempts by outcome, a retry only when the task goes up for retry, and lost attempts', async () => {
    const { registry, metrics } = setup();
    const facts = new TickFacts();
    facts.attemptsEnded.push(
      ended('etl', { state: 'failed', retryAt: 10_000 }),
      ended('etl', { state: 'failed', retryAt: null }),
      ended('etl', { state: 'lost', pool: 'gpu', retryAt: 12_000 }),
      // A sensor's next poke sets retryAt too, and is no retry.
      ended('etl', { state: 'rescheduled', retryAt: 20_000 }),
      ended('etl', { state: 'succeeded' }),
    );
    metrics.observer.observe(facts);

    const attempts = (pool: string, state: string) =>
      value(registry, 'tributary_task_attempts_total', { dag: 'etl', pool, state });
    expect(await attempts('default', 'failed')).toBe(2);
    expect(await attempts('gpu', 'lost')).toBe(1);
    expect(await attempts('default', 'rescheduled')).toBe(1);
    expect(await attempts('default', 'succeeded')).toBe(1);
    expect(await value(registry, 'tributary_task_retries_total', { dag: 'etl', pool: 'default' })).toBe(1);
    expect(await value(registry, 'tributary_task_retries_total', { dag: 'etl', pool: 'gpu' })).toBe(1);
    expect(await value(registry, 'tributary_lost_attempts_total', { pool: 'gpu' })).toBe(1);
    expect(await value(registry, 'tributary_lost_attempts_total', { pool: 'default' })).toBeUndefined();
  });

  it('observes dispatch latency from queued to started, and attempt durations from started to finished', async () => {
    const { registry, metrics } = setup();
    const facts = new TickFacts();
    const started = { run: runOf('etl'), taskId: 'a', attempt: 1, workerId: 'w1' };
    facts.attemptsStarted.push(
      { ...started, pool: 'default', queuedAt: 1_000, startedAt: 1_004 },
      { ...started, pool: 'default', queuedAt: 1_000, startedAt: 3_000 },
      // Reloaded since it was queued: the queue time is unknown, so there is nothing to observe.
      { ...started, pool: 'default', queuedAt: null, startedAt: 3_000 },
    );
    facts.attemptsEnded.push(
      ended('etl', { startedAt: 1_000, finishedAt: 31_000 }),
      // Cancelled before a worker started it: no duration.
      ended('etl', { state: 'cancelled', startedAt: null }),
    );
    metrics.observer.observe(facts);

    expect(await value(registry, 'tributary_dispatch_latency_seconds_count', { pool: 'default' })).toBe(2);
    expect(await value(registry, 'tributary_dispatch_latency_seconds_sum', { pool: 'default' })).toBeCloseTo(
      2.004,
    );
    expect(
      await value(registry, 'tributary_dispatch_latency_seconds_bucket', { pool: 'default', le: '0.005' }),
    ).toBe(1);
    const duration = { dag: 'etl', pool: 'default', state: 'succeeded' };
    expect(await value(registry, 'tributary_task_duration_seconds_sum', duration)).toBe(30);
    expect(
      await value(registry, 'tributary_task_duration_seconds_count', { ...duration, state: 'cancelled' }),
    ).toBeUndefined();
  });

  it('times transactions and publishes as database and NATS round trips', async () => {
    const { registry, metrics } = setup();
    metrics.timings.transaction(0.004);
    metrics.timings.transaction(0.006);
    metrics.timings.publish(0.002);

    const tx = { operation: 'tick_transaction' };
    expect(await value(registry, 'tributary_db_round_trip_seconds_count', tx)).toBe(2);
    expect(await value(registry, 'tributary_db_round_trip_seconds_sum', tx)).toBeCloseTo(0.01);
    expect(
      await value(registry, 'tributary_nats_round_trip_seconds_count', { operation: 'publish_tasks' }),
    ).toBe(1);
  });
});

describe('the coordinator gauges', () => {
  it('report leadership, and no Postgres series on a follower (the leader reports them once)', async () => {
    const { registry } = setup({ isLeader: () => false });
    const text = await registry.metrics();
    expect(text).toContain('tributary_coordinator_leader 0');
    expect(text).not.toMatch(/^tributary_queue_depth\{/m);
    expect(await value(registry, 'tributary_metrics_query_failures_total')).toBe(0);
    // Node's process metrics are on every registry.
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('report queues, unfinished runs and live workers on the leader, from one read per scrape', async () => {
    let reads = 0;
    // The transaction's result stands in for Postgres: readClusterGauges returns what begin resolves to.
    const sql = {
      begin: async () => {
        reads++;
        return {
          queues: [
            { pool: 'default', depth: 3, oldestQueuedAt: new Date(Date.now() - 60_000) },
            { pool: 'gpu', depth: 0, oldestQueuedAt: null },
          ],
          activeRuns: [{ dag: 'etl', state: 'running', count: 2 }],
          workers: [
            { pool: 'default', live: 2 },
            { pool: 'gpu', live: 0 },
          ],
        };
      },
    } as unknown as Sql;
    const { registry } = setup({ isLeader: () => true, sql });
    await registry.metrics();
    expect(reads).toBe(1);

    expect(await value(registry, 'tributary_queue_depth', { pool: 'default' })).toBe(3);
    expect(await value(registry, 'tributary_queue_depth', { pool: 'gpu' })).toBe(0);
    // Reading one gauge alone reads again: a read is shared within a scrape, never kept for the next.
    expect(reads).toBe(3);
    const text = await registry.metrics();
    expect(text).toMatch(/^tributary_queue_oldest_age_seconds\{pool="default"\} (59|60|61)(\.\d+)?$/m);
    expect(text).toContain('tributary_queue_oldest_age_seconds{pool="gpu"} 0');
    expect(text).toContain('tributary_active_runs{dag="etl",state="running"} 2');
    expect(text).toContain('tributary_live_workers{pool="default"} 2');
    expect(text).toContain('tributary_live_workers{pool="gpu"} 0');
    expect(reads).toBe(4);
  });

  it('leave the Postgres series out of a scrape when the queries fail, and count the failure', async () => {
    const { registry } = setup({ isLeader: () => true });
    const text = await registry.metrics();
    expect(text).toContain('tributary_coordinator_leader 1');
    expect(text).not.toMatch(/^tributary_live_workers\{/m);
    expect(await value(registry, 'tributary_metrics_query_failures_total')).toBe(1);
  });

  it('answer a scrape without the Postgres series when the queries hang past their timeout', async () => {
    const hanging = { begin: () => new Promise(() => {}) } as unknown as Sql;
    const { registry } = setup({ isLeader: () => true, sql: hanging, queryTimeoutMs: 50 });
    const text = await registry.metrics();
    expect(text).toContain('tributary_coordinator_leader 1');
    expect(text).not.toMatch(/^tributary_queue_depth\{/m);
    expect(await value(registry, 'tributary_metrics_query_failures_total')).toBe(1);
  });
});
