import type { TaskOrder } from '@tributary/bus';
import type { ExecutionResult } from '@tributary/executors';
import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';

/** Buckets (seconds) for NATS round trips, which take milliseconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Buckets (seconds) for task attempts, which take from milliseconds to hours. */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];

/** What a task attempt tells the metrics as it goes; one per pool, so that the pool is known. */
export interface AttemptObserver {
  /** The attempt's result was reported (its `finished` event acknowledged, its task message acked). */
  attemptFinished(message: TaskOrder, result: ExecutionResult): void;
  /** A worker event was acknowledged by JetStream `seconds` after it was first published (retries included). */
  eventPublished(seconds: number): void;
}

/** What {@link createWorkerMetrics} needs. */
export interface WorkerMetricsOptions {
  /** Where the metrics are registered: one registry per worker, never prom-client's global one. */
  registry: Registry;
  /** The pools the worker pulls from. */
  pools: readonly string[];
  /** Most tasks it runs at once, across its pools. */
  concurrency: number;
  /** How many attempts of a pool the worker holds now (received, preparing or running). */
  running: (pool: string) => number;
}

/** A worker's metrics: attempts report through the observer of their pool; gauges are read at scrape. */
export interface WorkerMetrics {
  observerFor(pool: string): AttemptObserver;
}

/** Registers a worker's metrics on `registry`, Node's process metrics included. */
export function createWorkerMetrics(options: WorkerMetricsOptions): WorkerMetrics {
  const { registry, pools, concurrency, running } = options;
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'tributary_worker_tasks_running',
    help: 'Task attempts this worker holds now (received, preparing or running), by pool.',
    labelNames: ['pool'] as const,
    registers,
    collect() {
      for (const pool of pools) this.set({ pool }, running(pool));
    },
  });
  new Gauge({
    name: 'tributary_worker_concurrency',
    help: 'Most task attempts this worker runs at once, across its pools.',
    registers,
    collect() {
      this.set(concurrency);
    },
  });
  const attempts = new Counter({
    name: 'tributary_worker_attempts_total',
    help: 'Task attempts this worker finished and reported, by pool, task kind and outcome.',
    labelNames: ['pool', 'kind', 'outcome'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'tributary_worker_task_duration_seconds',
    help: 'How long task attempts ran on this worker, by pool, task kind and outcome.',
    labelNames: ['pool', 'kind', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const nats = new Histogram({
    name: 'tributary_worker_nats_round_trip_seconds',
    help: 'NATS round trips of this worker: a worker event (started, finished) from publish until JetStream acked it.',
    labelNames: ['operation'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  return {
    observerFor(pool) {
      return {
        attemptFinished(message, result) {
          const labels = { pool, kind: taskKind(message), outcome: result.outcome };
          attempts.inc(labels);
          duration.observe(labels, Math.max(0, result.finishedAt - result.startedAt) / 1000);
        },
        eventPublished(seconds) {
          nats.observe({ operation: 'publish_event' }, seconds);
        },
      };
    },
  };
}

/** The task's kind (node, shell, sql, dag) as the compiled model in the message names it. */
function taskKind(message: TaskOrder): string {
  const { kind } = message.task;
  return typeof kind === 'string' ? kind : 'unknown';
}
