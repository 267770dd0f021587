import postgres from 'postgres';
import { type BenchCluster, type ClusterShape, startBenchCluster } from './cluster.js';
import { type BenchEnvironment, OBSERVER_ROLE } from './environment.js';
import { cpuSeconds, peakRssMiB } from './process-probe.js';
import { readServerCounters, type ServerCounters } from './server-counters.js';
import { type StatementShare, statementSnapshot, topStatements } from './statement-profile.js';

/** Figures of one repetition of one workload; per-task figures divide by `tasks`. */
export interface Measurement {
  /** Trigger of the first run to the last run finished. */
  seconds: number;
  tasks: number;
  runs: number;
  /** Runs that did not end `succeeded` (a correct benchmark has none). */
  failedRuns: number;
  /** Why runs failed: the first failed tasks' errors. */
  failures?: string[];
  /** The statements that ran most often in the measured window (pg_stat_statements). */
  topStatements?: StatementShare[];
  /** The chain's hops, when the workload is a chain. */
  hops?: HopLatency;
  coordinatorPeakRssMiB?: number;
  /** The largest worker's peak; the local runner's process for local workloads. */
  workerPeakRssMiB: number;
  coordinatorCpuPer1kTasks?: number;
  /** All workers together; the local runner's process for local workloads. */
  workerCpuPer1kTasks: number;
  statementsPerTask?: number;
  writeTransactionsPerTask?: number;
  natsInPerTask?: number;
  natsOutPerTask?: number;
}

/** Latency from one chain task's end to the next one's start. */
export interface HopLatency {
  /** Total time / tasks. */
  perHopMs: number;
  /** Of (successor's start − predecessor's finish), both as the workers report them. */
  medianMs: number;
  p99Ms: number;
  /** Of each chain task's own start to finish, as its worker reports them (a no-op's overhead). */
  taskMedianMs: number;
  /** The part until the coordinator queued the successor (event → engine → commit). */
  toQueuedMedianMs?: number;
  /** The part from queued to the worker's start (publish → pull → start). */
  toStartedMedianMs?: number;
}

/** What a distributed workload does once its cluster is up. */
export interface DistributedDriver {
  /** The DAG the measured runs belong to. */
  dag: string;
  /** Deploys the DAG(s); not measured. */
  prepare(cluster: BenchCluster): Promise<void>;
  /** Triggers the run(s); the clock starts just before it is called. */
  trigger(cluster: BenchCluster): Promise<void>;
  /** How many runs the trigger creates, and how many tasks they hold in all. */
  runs: number;
  tasks: number;
  /** Reads the chain's hop latencies after the run finished, for chain workloads. */
  hops?(cluster: BenchCluster, seconds: number): Promise<HopLatency>;
}

const POLL_INTERVAL_MS = 100;

interface RunProgress {
  total: number;
  open: number;
  failed: number;
  lastFinishedMs: number | null;
}

async function runProgress(sql: postgres.Sql, dag: string): Promise<RunProgress> {
  const [row] = await sql`
    SELECT count(*)::int AS total,
           count(*) FILTER (WHERE state IN ('queued', 'running'))::int AS open,
           count(*) FILTER (WHERE state NOT IN ('queued', 'running', 'succeeded'))::int AS failed,
           (extract(epoch FROM max(finished_at)) * 1000)::float8 AS last_finished_ms
    FROM runs WHERE dag = ${dag}`;
  return {
    total: row?.total ?? 0,
    open: row?.open ?? 0,
    failed: row?.failed ?? 0,
    lastFinishedMs: row?.last_finished_ms ?? null,
  };
}

/** Resolves once `runs` runs of `dag` exist and none is open, or rejects after `timeoutMs`. */
async function untilFinished(
  sql: postgres.Sql,
  dag: string,
  runs: number,
  timeoutMs: number,
): Promise<RunProgress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const progress = await runProgress(sql, dag);
    if (progress.total >= runs && progress.open === 0) return progress;
    if (Date.now() > deadline) {
      throw new WorkloadTimeout(`${progress.total - progress.open} of ${runs} runs finished`, timeoutMs);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** A workload repetition that did not finish within its time limit. */
export class WorkloadTimeout extends Error {
  constructor(progress: string, timeoutMs: number) {
    super(`timed out after ${timeoutMs / 1000} s (${progress})`);
    this.name = 'WorkloadTimeout';
  }
}

/** The errors of the first few failed tasks of `dag`'s runs, as `task: message`. */
async function failureReasons(sql: postgres.Sql, dag: string): Promise<string[]> {
  const rows = await sql`
    SELECT t.task_id, coalesce(t.error->>'message', t.state) AS message
    FROM task_instances t JOIN runs r ON r.id = t.run_id
    WHERE r.dag = ${dag} AND t.state IN ('failed', 'upstream_failed')
    ORDER BY t.state, t.position LIMIT 3`;
  return rows.map((row) => `${row.task_id}: ${row.message}`);
}

/** Resolves as `work` does, or rejects with {@link WorkloadTimeout} after `timeoutMs`. */
async function beforeDeadline<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WorkloadTimeout(what, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const perTask = (delta: number | undefined, tasks: number) =>
  delta === undefined ? undefined : delta / tasks;

function counterDelta(before: ServerCounters, after: ServerCounters, tasks: number) {
  return {
    statementsPerTask: perTask(
      after.statements === undefined || before.statements === undefined
        ? undefined
        : after.statements - before.statements,
      tasks,
    ),
    writeTransactionsPerTask: (after.writeTransactions - before.writeTransactions) / tasks,
    natsInPerTask: (after.natsIn - before.natsIn) / tasks,
    natsOutPerTask: (after.natsOut - before.natsOut) / tasks,
  };
}

/** The DAG every cluster runs once before it is measured; see {@link measureDistributed}. */
export interface WarmUp {
  dir: string;
  dag: string;
}

/**
 * Runs one repetition on a fresh cluster (so peak RSS is this workload's): warms it up, prepares, reads
 * the counters, triggers, waits for every run to finish, reads them again, stops the cluster. The warm-up
 * run (independent tasks, twice the cluster's slots) starts every worker's task threads, which start on
 * demand and take a few hundred ms of CPU each: measured figures are the steady state, as for the peers.
 * @throws WorkloadTimeout when the runs do not finish within `timeoutMs`.
 */
export async function measureDistributed(
  env: BenchEnvironment,
  shape: ClusterShape,
  driver: DistributedDriver,
  warmUp: WarmUp,
  timeoutMs: number,
): Promise<Measurement> {
  const cluster = await startBenchCluster(env, shape);
  const admin = postgres(env.pg.url.replace('//postgres@', `//${OBSERVER_ROLE}@`), {
    max: 1,
    onnotice: () => {},
  });
  const sources = {
    admin,
    database: cluster.database,
    statementStats: env.statementStats,
    natsMonitorUrl: env.nats.monitorUrl,
  };
  const pids = [cluster.coordinator.pid, ...cluster.workers.map((worker) => worker.pid)];
  try {
    await cluster.client.deployDagFolder(warmUp.dir);
    await cluster.client.triggerRun({ dag: warmUp.dag });
    await untilFinished(cluster.sql, warmUp.dag, 1, timeoutMs);
    await driver.prepare(cluster);
    const statementsBefore = await statementSnapshot(sources);
    const countersBefore = await readServerCounters(sources);
    const cpuBefore = await Promise.all(pids.map(cpuSeconds));
    const startedMs = Date.now();
    await beforeDeadline(driver.trigger(cluster), timeoutMs, 'while triggering');
    const remainingMs = timeoutMs - (Date.now() - startedMs);
    const progress = await untilFinished(cluster.sql, driver.dag, driver.runs, remainingMs);
    const cpuAfter = await Promise.all(pids.map(cpuSeconds));
    const countersAfter = await readServerCounters(sources);
    const statementsAfter = await statementSnapshot(sources);
    const peaks = await Promise.all(pids.map(peakRssMiB));
    const seconds = ((progress.lastFinishedMs ?? Date.now()) - startedMs) / 1000;
    const cpu = cpuAfter.map((after, i) => after - (cpuBefore[i] as number));
    const per1k = (used: number) => (used * 1000) / driver.tasks;
    const measurement: Measurement = {
      seconds,
      tasks: driver.tasks,
      runs: driver.runs,
      failedRuns: progress.failed,
      coordinatorPeakRssMiB: peaks[0] as number,
      workerPeakRssMiB: Math.max(...peaks.slice(1)),
      coordinatorCpuPer1kTasks: per1k(cpu[0] as number),
      workerCpuPer1kTasks: per1k(cpu.slice(1).reduce((a, b) => a + b, 0)),
      ...counterDelta(countersBefore, countersAfter, driver.tasks),
      topStatements: topStatements(statementsBefore, statementsAfter, driver.tasks),
    };
    if (progress.failed > 0) measurement.failures = await failureReasons(cluster.sql, driver.dag);
    if (driver.hops !== undefined) measurement.hops = await driver.hops(cluster, seconds);
    return measurement;
  } finally {
    await admin.end({ timeout: 5 });
    await cluster.stop();
  }
}
