import postgres from 'postgres';
import { type Cluster, type ClusterOptions, startCluster, type WorkerSpec } from '../e2e/cluster.js';
import { waitFor } from '../harness/index.js';
import { auditRun, type RunAudit } from './audit.js';
import { type LoadDag, type LoadDagOptions, writeLoadDag } from './load-dag.js';

/** How a fault scenario's cluster and DAG look. */
export interface ScenarioOptions {
  workers: readonly WorkerSpec[];
  dag: LoadDagOptions;
  coordinatorEnv?: ClusterOptions['coordinatorEnv'];
  route?: ClusterOptions['route'];
}

/** A cluster running the scenario's DAG. */
export interface Scenario {
  name: string;
  cluster: Cluster;
  dag: LoadDag;
  runId: string;
  /** Tasks of the run that succeeded so far, read from Postgres. */
  succeededTasks(): Promise<number>;
  /** The run's state in Postgres. */
  runState(): Promise<string>;
  /** Waits for the run to finish, then audits it from the database and prints the figures. */
  finish(figures: Record<string, number | string>, timeoutMs?: number): Promise<RunAudit>;
  close(): Promise<void>;
}

/** The coordinator settings of the suite: a lost worker is noticed within 3 s. */
export const FAULT_COORDINATOR_ENV = {
  TRIBUTARY_HEARTBEAT_TIMEOUT_MS: '3000',
  TRIBUTARY_TIMER_INTERVAL_MS: '200',
};

/**
 * The worker settings of the suite. A task a worker received but never reported (it died within a
 * heartbeat interval of receiving it) is only redelivered by JetStream, after the ack wait: 5 s here.
 */
export const FAULT_WORKER_ENV = { TRIBUTARY_TASK_ACK_WAIT_MS: '5000' };

/** Starts a cluster with the scenario's workers, deploys its DAG and triggers a run. */
export async function startScenario(name: string, options: ScenarioOptions): Promise<Scenario> {
  const cluster = await startCluster({
    workers: 0,
    coordinatorEnv: { ...FAULT_COORDINATOR_ENV, ...options.coordinatorEnv },
    ...(options.route === undefined ? {} : { route: options.route }),
  });
  for (const spec of options.workers) {
    await cluster.startWorker({ ...spec, env: { ...FAULT_WORKER_ENV, ...spec.env } });
  }
  const dag = await writeLoadDag(name, options.dag);
  await cluster.client.deployDagFolder(dag.dir);
  const sql = postgres(cluster.databaseUrl, { max: 1, onnotice: () => {} });
  const { run } = await cluster.client.triggerRun({ dag: dag.name });
  const runId = run!.id;
  const succeededTasks = async () => {
    const [row] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM task_instances WHERE run_id = ${runId} AND state = 'succeeded'`;
    return row?.n ?? 0;
  };
  const runState = async () =>
    (await sql<{ state: string }[]>`SELECT state FROM runs WHERE id = ${runId}`)[0]!.state;
  return {
    name,
    cluster,
    dag,
    runId,
    succeededTasks,
    runState,
    async finish(figures, timeoutMs = 120_000) {
      await waitFor(async () => (await runState()) !== 'running', {
        description: `${name}: the run to finish`,
        timeoutMs,
        intervalMs: 250,
      });
      const audit = await auditRun(cluster.databaseUrl, runId, dag.taskCount);
      // The figures each scenario reports, in the CI log.
      console.log(
        `fault scenario ${name}: ${JSON.stringify({
          tasks: audit.tasks,
          attempts: audit.attempts,
          extraAttempts: audit.extraAttempts,
          runMs: Math.round(audit.durationMs),
          ...figures,
          violations: audit.violations.length,
          firstViolations: audit.violations.slice(0, 3),
        })}`,
      );
      return audit;
    },
    async close() {
      await sql.end();
      cluster.client.close();
    },
  };
}

/** Waits until at least `count` tasks of the run succeeded: the run is well under way. */
export async function untilSucceeded(scenario: Scenario, count: number): Promise<void> {
  await waitFor(async () => (await scenario.succeededTasks()) >= count, {
    description: `${scenario.name}: ${count} tasks succeeded`,
    timeoutMs: 60_000,
    intervalMs: 50,
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The cluster's worker processes that still run. */
export function liveWorkers(scenario: Scenario) {
  return scenario.cluster.workers.filter((worker) => worker.exitStatus === undefined);
}

/** Task instances of the run out (queued or running) for longer than `ms`: stuck, for 20 ms tasks. */
export async function stuckTasks(scenario: Scenario, ms: number): Promise<number> {
  const sql = postgres(scenario.cluster.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM task_instances t
      JOIN task_attempts a ON a.run_id = t.run_id AND a.task_id = t.task_id AND a.attempt = t.attempt
      WHERE t.run_id = ${scenario.runId} AND t.state IN ('queued', 'running')
        AND a.queued_at < now() - make_interval(secs => ${ms / 1000})`;
    return row?.n ?? 0;
  } finally {
    await sql.end();
  }
}

/**
 * The live worker process running the most tasks of the run now (worker ids end in `-<pid>-<random>`),
 * so that killing it surely takes tasks with it.
 */
export async function busiestWorker(scenario: Scenario) {
  const sql = postgres(scenario.cluster.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    // What each worker's last heartbeat said it runs: a task shorter than the worker's start report
    // delay is never `running` in task_instances, but it is in its worker's heartbeat.
    const rows = await sql<{ workerId: string }[]>`
      SELECT id AS "workerId" FROM workers WHERE NOT stopping
      ORDER BY jsonb_array_length(running) DESC, last_heartbeat_at DESC`;
    const live = liveWorkers(scenario);
    for (const { workerId } of rows) {
      const worker = live.find((w) => workerId.includes(`-${w.pid}-`));
      if (worker !== undefined) return worker;
    }
    return live[0]!;
  } finally {
    await sql.end();
  }
}

/**
 * Waits until `worker`'s last heartbeat lists attempts it runs: a worker still starting, or starved
 * for a moment on a loaded machine, would otherwise be stopped with nothing to hand back or lose.
 */
export async function untilRunningTasks(scenario: Scenario, worker: { pid: number }): Promise<void> {
  const sql = postgres(scenario.cluster.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await waitFor(
      async () => {
        const [row] = await sql<{ n: number }[]>`
          SELECT jsonb_array_length(running) AS n FROM workers
          WHERE id LIKE ${`%-${worker.pid}-%`} AND NOT stopping
          ORDER BY last_heartbeat_at DESC LIMIT 1`;
        return (row?.n ?? 0) > 0;
      },
      { description: `worker ${worker.pid} to run tasks`, timeoutMs: 30_000, intervalMs: 50 },
    );
  } finally {
    await sql.end();
  }
}
