import type { Logger } from '@tributary/core';
import { type ClusterGauges, readClusterGauges } from '@tributary/db';
import type { Sql } from 'postgres';
import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';
import type { LoopTimings } from './run-loop.js';
import type { TickFacts, TickObserver } from './tick-facts.js';

/** Buckets (seconds) for what takes milliseconds: dispatch latency, database and NATS round trips. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Buckets (seconds) for task attempts, which take from milliseconds to hours. */
export const DURATION_BUCKETS = [
  0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200,
];

/** What {@link createCoordinatorMetrics} needs. */
export interface CoordinatorMetricsOptions {
  /** Where the metrics are registered: one registry per coordinator, never prom-client's global one. */
  registry: Registry;
  /** Whether this coordinator leads now: only the leader reports what it reads from Postgres. */
  isLeader: () => boolean;
  /** The connection pool the scrape-time queries use. */
  sql: Sql;
  logger: Logger;
  /** The coordinator's `heartbeatTimeoutMs`: a worker silent for longer is not live (as ListWorkers says). */
  heartbeatTimeoutMs: number;
  /**
   * How long the scrape-time queries may take before the scrape reports without them: each statement
   * has this as its server-side timeout, and the scrape stops waiting after it too (a pool with no free
   * connection, a partitioned network). @default 2000
   */
  queryTimeoutMs?: number;
}

/** A coordinator's metrics: the run loop feeds the observer and the timings; the rest is read at scrape. */
export interface CoordinatorMetrics {
  /** Counts what each committed tick did (tasks, attempts, retries, lost attempts, runs). */
  readonly observer: TickObserver;
  /** Times the run loop's transactions and task publishes. */
  readonly timings: LoopTimings;
  /** How late scheduled runs start after their data interval closed, in seconds. */
  readonly scheduleLag: { observe(seconds: number): void };
  /** Counts event messages by DAG and what became of them (`started`, `duplicate`, `rejected`, `paused`). */
  readonly triggerEvents: { inc(dag: string, outcome: TriggerEventOutcome): void };
}

/** What became of an event message on a DAG's `on` subject. */
export type TriggerEventOutcome = 'started' | 'duplicate' | 'rejected' | 'paused';

/** @see CoordinatorMetricsOptions.queryTimeoutMs */
export const DEFAULT_METRICS_QUERY_TIMEOUT_MS = 2_000;

/**
 * Registers the coordinator's metrics on `registry`, Node's process metrics included. Counters move only
 * on the leader (only its run loop ticks); the Postgres gauges (queue depth and age, unfinished runs, live
 * workers) are reported by the leader alone, so that `sum()` over every coordinator counts each row once;
 * `tributary_coordinator_leader` is reported by all.
 */
export function createCoordinatorMetrics(options: CoordinatorMetricsOptions): CoordinatorMetrics {
  const { registry } = options;
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const counters = {
    tasksFinished: new Counter({
      name: 'tributary_tasks_finished_total',
      help: 'Task instances that reached a final state, by DAG and state.',
      labelNames: ['dag', 'state'] as const,
      registers,
    }),
    attempts: new Counter({
      name: 'tributary_task_attempts_total',
      help: 'Task attempts that ended, by DAG, pool and how they ended (succeeded, failed, lost, ...).',
      labelNames: ['dag', 'pool', 'state'] as const,
      registers,
    }),
    retries: new Counter({
      name: 'tributary_task_retries_total',
      help: 'Task attempts that ended in a retry (the task went up_for_retry), by DAG and pool.',
      labelNames: ['dag', 'pool'] as const,
      registers,
    }),
    lost: new Counter({
      name: 'tributary_lost_attempts_total',
      help: 'Task attempts failed as lost: their worker stopped heartbeating.',
      labelNames: ['pool'] as const,
      registers,
    }),
    runsCreated: new Counter({
      name: 'tributary_runs_created_total',
      help: 'Runs created (triggered), by DAG.',
      labelNames: ['dag'] as const,
      registers,
    }),
    runsFinished: new Counter({
      name: 'tributary_runs_finished_total',
      help: 'Runs that finished, by DAG and final state.',
      labelNames: ['dag', 'state'] as const,
      registers,
    }),
  };
  const histograms = {
    dispatch: new Histogram({
      name: 'tributary_dispatch_latency_seconds',
      help: 'From an attempt being queued (ready and dispatched) to a worker starting it, by pool.',
      labelNames: ['pool'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    duration: new Histogram({
      name: 'tributary_task_duration_seconds',
      help: 'How long task attempts ran on their worker (start to end), by DAG, pool and how they ended.',
      labelNames: ['dag', 'pool', 'state'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    db: new Histogram({
      name: 'tributary_db_round_trip_seconds',
      help: "Postgres round trips of the run loop: a tick's transaction from BEGIN to COMMIT (or failure).",
      labelNames: ['operation'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    nats: new Histogram({
      name: 'tributary_nats_round_trip_seconds',
      help: "NATS round trips of the run loop: publishing a tick's task messages until JetStream acked them all.",
      labelNames: ['operation'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  };
  registerGauges(options);
  const scheduleLag = new Histogram({
    name: 'tributary_schedule_lag_seconds',
    help: 'From the end of a data interval (when its scheduled run is due) to the run being created.',
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const triggerEvents = new Counter({
    name: 'tributary_trigger_events_total',
    help: "Messages on DAGs' `on` subjects, by DAG and outcome (started, duplicate, rejected, paused).",
    labelNames: ['dag', 'outcome'] as const,
    registers,
  });
  return {
    scheduleLag: { observe: (seconds) => scheduleLag.observe(seconds) },
    triggerEvents: { inc: (dag, outcome) => triggerEvents.inc({ dag, outcome }) },
    observer: { observe: (facts) => countTick(counters, histograms, facts) },
    timings: {
      transaction: (seconds) => histograms.db.observe({ operation: 'tick_transaction' }, seconds),
      publish: (seconds) => histograms.nats.observe({ operation: 'publish_tasks' }, seconds),
    },
  };
}

type Counters = {
  tasksFinished: Counter<'dag' | 'state'>;
  attempts: Counter<'dag' | 'pool' | 'state'>;
  retries: Counter<'dag' | 'pool'>;
  lost: Counter<'pool'>;
  runsCreated: Counter<'dag'>;
  runsFinished: Counter<'dag' | 'state'>;
};
type Histograms = { dispatch: Histogram<'pool'>; duration: Histogram<'dag' | 'pool' | 'state'> };

function countTick(counters: Counters, histograms: Histograms, facts: TickFacts): void {
  for (const run of facts.runsCreated) counters.runsCreated.inc({ dag: run.version.dag });
  for (const { run, state } of facts.runsFinished) counters.runsFinished.inc({ dag: run.version.dag, state });
  for (const { run, state } of facts.tasksFinished)
    counters.tasksFinished.inc({ dag: run.version.dag, state });
  for (const started of facts.attemptsStarted) {
    // Unknown after a reload of the run (the cache lost the queue time); clocks of two hosts may differ.
    if (started.queuedAt === null) continue;
    histograms.dispatch.observe({ pool: started.pool }, seconds(started.startedAt - started.queuedAt));
  }
  for (const ended of facts.attemptsEnded) {
    const dag = ended.run.version.dag;
    const { pool, state } = ended;
    counters.attempts.inc({ dag, pool, state });
    if (state === 'lost') counters.lost.inc({ pool });
    // A reschedule also sets retryAt (the sensor's next poke) but is not a retry.
    if (ended.retryAt !== null && state !== 'rescheduled') counters.retries.inc({ dag, pool });
    if (ended.startedAt !== null)
      histograms.duration.observe({ dag, pool, state }, seconds(ended.finishedAt - ended.startedAt));
  }
}

function seconds(ms: number): number {
  return Math.max(0, ms) / 1000;
}

/** The gauges read at scrape time: leadership on every coordinator, Postgres on the leader. */
function registerGauges(options: CoordinatorMetricsOptions): void {
  const { registry, isLeader } = options;
  const registers = [registry];
  const snapshot = createSnapshotReader(options);
  new Gauge({
    name: 'tributary_coordinator_leader',
    help: 'Whether this coordinator leads (1) or follows (0).',
    registers,
    collect() {
      this.set(isLeader() ? 1 : 0);
    },
  });
  const fromSnapshot = <T extends string>(
    fill: (gauge: Gauge<T>, gauges: ClusterGauges, now: number) => void,
  ) =>
    async function (this: Gauge<T>): Promise<void> {
      // A follower, or a failed read, reports no series: stale numbers would be worse than a gap.
      this.reset();
      if (!isLeader()) return;
      const gauges = await snapshot();
      if (gauges !== null) fill(this, gauges, Date.now());
    };
  new Gauge({
    name: 'tributary_queue_depth',
    help: 'Task attempts dispatched to a pool and not started by a worker yet (leader only).',
    labelNames: ['pool'] as const,
    registers,
    collect: fromSnapshot((gauge, { queues }) => {
      for (const queue of queues) gauge.set({ pool: queue.pool }, queue.depth);
    }),
  });
  new Gauge({
    name: 'tributary_queue_oldest_age_seconds',
    help: 'How long the oldest attempt queued in a pool has waited for a worker; 0 when none waits (leader only).',
    labelNames: ['pool'] as const,
    registers,
    collect: fromSnapshot((gauge, { queues }, now) => {
      for (const queue of queues) {
        const oldest = queue.oldestQueuedAt?.getTime();
        gauge.set({ pool: queue.pool }, oldest === undefined ? 0 : seconds(now - oldest));
      }
    }),
  });
  new Gauge({
    name: 'tributary_active_runs',
    help: 'Runs not finished yet, by DAG and state (queued or running) (leader only).',
    labelNames: ['dag', 'state'] as const,
    registers,
    collect: fromSnapshot((gauge, { activeRuns }) => {
      for (const row of activeRuns) gauge.set({ dag: row.dag, state: row.state }, row.count);
    }),
  });
  new Gauge({
    name: 'tributary_live_workers',
    help: 'Workers serving a pool that heartbeat within the heartbeat timeout and are not stopping (leader only).',
    labelNames: ['pool'] as const,
    registers,
    collect: fromSnapshot((gauge, { workers }) => {
      for (const row of workers) gauge.set({ pool: row.pool }, row.live);
    }),
  });
}

/**
 * One read of Postgres shared by the gauges of a scrape; null when it failed or took too long (logged,
 * and counted in `tributary_metrics_query_failures_total`).
 */
function createSnapshotReader(options: CoordinatorMetricsOptions): () => Promise<ClusterGauges | null> {
  const { sql, logger, heartbeatTimeoutMs } = options;
  const timeoutMs = options.queryTimeoutMs ?? DEFAULT_METRICS_QUERY_TIMEOUT_MS;
  const failures = new Counter({
    name: 'tributary_metrics_query_failures_total',
    help: 'Scrapes whose Postgres gauges were left out: the queries failed or ran past their timeout.',
    registers: [options.registry],
  });
  let inFlight: Promise<ClusterGauges | null> | undefined;
  const read = async (): Promise<ClusterGauges | null> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the metrics queries took longer than ${timeoutMs}ms`)),
        timeoutMs,
      );
    });
    try {
      const query = readClusterGauges(sql, {
        liveSinceMs: Date.now() - heartbeatTimeoutMs,
        statementTimeoutMs: timeoutMs,
      });
      // The query settles on its own (statement timeout, connection error); nobody waits for it then.
      query.catch(() => undefined);
      return await Promise.race([query, timeout]);
    } catch (error) {
      failures.inc();
      logger.warn('metrics queries failed; this scrape leaves out the Postgres gauges', {
        error: String(error),
      });
      return null;
    } finally {
      clearTimeout(timer);
    }
  };
  // prom-client starts every gauge's collect in one synchronous pass per scrape, so the gauges of a scrape
  // share the read in flight, and the next scrape reads again.
  return () => {
    inFlight ??= read().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
