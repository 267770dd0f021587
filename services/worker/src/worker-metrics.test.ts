import type { TaskOrder } from '@tributary/bus';
import type { ExecutionResult } from '@tributary/executors';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createWorkerMetrics } from './worker-metrics.js';

const message = (kind: unknown) =>
  ({ runId: 'r', taskId: 't', attempt: 1, task: { kind } }) as unknown as TaskOrder;
const result = (outcome: ExecutionResult['outcome'], ms: number): ExecutionResult => ({
  outcome,
  startedAt: 10_000,
  finishedAt: 10_000 + ms,
  logTail: [],
});

describe('the worker metrics', () => {
  it('count finished attempts and their durations by pool, task kind and outcome', async () => {
    const registry = new Registry();
    const metrics = createWorkerMetrics({
      registry,
      pools: ['default', 'gpu'],
      concurrency: 4,
      running: () => 0,
    });
    metrics.observerFor('default').attemptFinished(message('shell'), result('succeeded', 1_500));
    metrics.observerFor('default').attemptFinished(message('shell'), result('failed', 500));
    metrics.observerFor('gpu').attemptFinished(message('node'), result('succeeded', 90_000));
    metrics.observerFor('gpu').attemptFinished(message(undefined), result('failed', 0));

    const text = await registry.metrics();
    expect(text).toContain(
      'tributary_worker_attempts_total{pool="default",kind="shell",outcome="succeeded"} 1',
    );
    expect(text).toContain('tributary_worker_attempts_total{pool="default",kind="shell",outcome="failed"} 1');
    expect(text).toContain('tributary_worker_attempts_total{pool="gpu",kind="node",outcome="succeeded"} 1');
    expect(text).toContain('tributary_worker_attempts_total{pool="gpu",kind="unknown",outcome="failed"} 1');
    expect(text).toContain(
      'tributary_worker_task_duration_seconds_sum{pool="gpu",kind="node",outcome="succeeded"} 90',
    );
    expect(text).toContain(
      'tributary_worker_task_duration_seconds_bucket{le="1",pool="default",kind="shell",outcome="failed"} 1',
    );
  });

  it('read running attempts per pool and the concurrency at scrape time', async () => {
    const registry = new Registry();
    const running = new Map([
      ['default', 3],
      ['gpu', 0],
    ]);
    createWorkerMetrics({
      registry,
      pools: ['default', 'gpu'],
      concurrency: 4,
      running: (pool) => running.get(pool)!,
    });
    expect(await registry.metrics()).toContain('tributary_worker_tasks_running{pool="default"} 3');
    running.set('default', 1);
    const text = await registry.metrics();
    expect(text).toContain('tributary_worker_tasks_running{pool="default"} 1');
    expect(text).toContain('tributary_worker_tasks_running{pool="gpu"} 0');
    expect(text).toContain('tributary_worker_concurrency 4');
    expect(text).toContain('nodejs_heap_size_used_bytes');
  });

  it('time event publishes as NATS round trips', async () => {
    const registry = new Registry();
    const metrics = createWorkerMetrics({ registry, pools: ['default'], concurrency: 1, running: () => 0 });
    metrics.observerFor('default').eventPublished(0.003);
    metrics.observerFor('default').eventPublished(0.2);
    const text = await registry.metrics();
    expect(text).toContain('tributary_worker_nats_round_trip_seconds_count{operation="publish_event"} 2');
    expect(text).toContain(
      'tributary_worker_nats_round_trip_seconds_bucket{le="0.005",operation="publish_event"} 1',
    );
  });
});
