import type { Failure, JsonObject, JsonValue, RunState, TaskState } from '@tributary/core';
import {
  attemptStateFromProto,
  failureFromProto,
  type Run,
  runStateFromProto,
  taskStateFromProto,
  valueToJson,
} from '@tributary/proto';
import { runDagLocally } from '@tributary/runner';
import { loadDagFolder } from '@tributary/spec';
import { type Cluster, startCluster } from '../e2e/cluster.js';

/** How a run ended, in the same shape from every back-end, so one suite can check both. */
export interface RunOutcome {
  state: RunState;
  tasks: Record<string, TaskOutcome>;
  /** The run context at the end (the local summary's; GetRun's on the cluster), when known. */
  context?: JsonObject;
}

export interface TaskOutcome {
  state: TaskState;
  /** The last attempt number (the fencing token: retries and sensor pokes each take one). */
  attempts: number;
  output?: JsonValue;
  error?: Failure;
}

/** Runs DAG folders to their end on one back-end. */
export interface Backend {
  readonly name: string;
  run(dagDir: string, params?: JsonObject): Promise<RunOutcome>;
  /**
   * Makes a DAG folder known without running it, e.g. the child a dag task triggers. The local runner
   * finds children among the sibling folders of the DAG it runs, so only the cluster deploys.
   */
  deploy(dagDir: string): Promise<void>;
}

/** The sql connection every back-end offers to the examples: the suite's own Postgres database. */
export const WAREHOUSE = 'warehouse';

/** `tributary run`'s engine: in memory, no services. */
export function localBackend(warehouseUrl: string): Backend {
  const connections = (name: string) => (name === WAREHOUSE ? warehouseUrl : undefined);
  return {
    name: 'local runner',
    async run(dagDir, params = {}) {
      const summary = await runDagLocally({ path: dagDir, params, concurrency: 8, connections });
      const tasks: Record<string, TaskOutcome> = {};
      for (const [id, task] of Object.entries(summary.tasks)) {
        tasks[id] = { state: task.state, attempts: task.attempts };
        if (task.output !== undefined) tasks[id].output = task.output;
        if (task.error !== undefined) tasks[id].error = task.error;
      }
      return { state: summary.run.state, tasks, context: summary.context };
    },
    async deploy() {},
  };
}

/** A coordinator and workers as separate processes, on their own Postgres and NATS servers. */
export interface ClusterBackend extends Backend {
  readonly cluster: Cluster;
  /** The run as GetRun shows it, with every attempt. */
  lastRun?: Run;
}

export async function clusterBackend(): Promise<ClusterBackend> {
  // Workers resolve the `warehouse` connection from their environment, as in production.
  const cluster = await startCluster({
    workers: 2,
    workerEnv: (databaseUrl) => ({ TRIBUTARY_CONNECTION_WAREHOUSE: databaseUrl }),
  });
  const deployed = new Set<string>();
  const backend: ClusterBackend = {
    name: 'cluster',
    cluster,
    async deploy(dagDir) {
      if (deployed.has(dagDir)) return;
      await cluster.client.deployDagFolder(dagDir);
      deployed.add(dagDir);
    },
    async run(dagDir, params = {}) {
      const { model, problems } = await loadDagFolder(dagDir);
      if (model === undefined) throw new Error(`invalid DAG ${dagDir}: ${problems[0]?.message ?? '?'}`);
      await backend.deploy(dagDir);
      const { run: started } = await cluster.client.triggerRun({ dag: model.name, params });
      const finished = await watchToEnd(cluster, started!.id);
      backend.lastRun = finished;
      return outcomeOf(finished);
    },
  };
  return backend;
}

async function watchToEnd(cluster: Cluster, runId: string): Promise<Run> {
  for await (const message of cluster.client.watchRun(runId)) {
    if (message.event.case === 'finished') return message.event.value;
  }
  throw new Error(`WatchRun for ${runId} ended without a finished message`);
}

export function outcomeOf(run: Run): RunOutcome {
  const tasks: Record<string, TaskOutcome> = {};
  for (const task of run.tasks) {
    const outcome: TaskOutcome = { state: taskStateFromProto(task.state), attempts: task.attempt };
    if (task.output !== undefined) outcome.output = valueToJson(task.output);
    if (task.error !== undefined) outcome.error = failureFromProto(task.error);
    tasks[task.taskId] = outcome;
  }
  const outcome: RunOutcome = { state: runStateFromProto(run.state), tasks };
  if (run.context !== undefined) outcome.context = run.context;
  return outcome;
}

/** Every attempt of a task as the cluster recorded it: its state, error type and worker. */
export function attemptsOf(
  run: Run,
  taskId: string,
): { state: string; errorType?: string; workerId: string }[] {
  const task = run.tasks.find((t) => t.taskId === taskId);
  return (task?.attempts ?? []).map((attempt) => ({
    state: attemptStateFromProto(attempt.state),
    workerId: attempt.workerId,
    ...(attempt.error ? { errorType: attempt.error.type } : {}),
  }));
}
