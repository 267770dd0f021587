import type { Failure, JsonObject, JsonValue, RunState, RunType, TaskState } from '@tributary/core';
import {
  type Database,
  getDagVersion,
  getRunRow,
  getTaskInstanceRows,
  latestDagVersionNumber,
} from '@tributary/db';
import { createPlan, type Plan, type RunSnapshot, type TaskInstanceState } from '@tributary/engine';
import type { DagModel } from '@tributary/spec';
import { newTraceparent } from '@tributary/telemetry';

/** What the coordinator knows of a task besides its scheduling state. */
export interface TaskMeta {
  workerId: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  /**
   * When the current attempt was queued (epoch ms), for dispatch latency and the attempt's span; null when
   * unknown (the run was loaded from the database after the attempt was queued).
   */
  queuedAt: number | null;
  /** When the queued attempt times out for want of a worker (epoch ms); null unless queued with a `queue_timeout`. */
  queueDeadlineAt: number | null;
}

/** A compiled DAG version: its model, the engine's plan, and where its bundle lives. */
export interface LoadedVersion {
  dag: string;
  version: number;
  bundleHash: string;
  model: DagModel;
  plan: Plan;
  tasksById: Map<string, DagModel['tasks'][number]>;
  /** Each task's place in the DAG's declaration order (task instance rows sort by it). */
  positions: Map<string, number>;
}

/** Indexes a stored DAG version once for the run loop. */
export function compileVersion(stored: {
  dag: string;
  version: number;
  bundleHash: string;
  model: DagModel;
}): LoadedVersion {
  const { model } = stored;
  return {
    dag: stored.dag,
    version: stored.version,
    bundleHash: stored.bundleHash,
    model,
    plan: createPlan(model),
    tasksById: new Map(model.tasks.map((task) => [task.id, task])),
    positions: new Map(model.tasks.map((task, position) => [task.id, position])),
  };
}

/** A run that is not finished, held in memory by the run loop (the only writer of run state). */
export interface ActiveRun {
  id: string;
  version: LoadedVersion;
  params: JsonObject;
  snapshot: RunSnapshot;
  meta: Map<string, TaskMeta>;
  /** When the run was created (epoch ms). */
  createdAt: number;
  /** W3C traceparent of the run's span, fixed at creation (see migration 0007). */
  traceparent: string;
  /** The span id of the run span's parent (a traced caller's span); null for a root span. */
  traceParentSpanId: string | null;
  /** How the run came to be. */
  runType: RunType;
  /** The run's logical date (epoch ms): the start of the data interval it covers, else its creation time. */
  logicalDate: number;
  /** The end of that data interval (epoch ms); the logical date for a run that covers none. */
  dataIntervalEnd: number;
}

/**
 * The run loop's cache of unfinished runs and compiled DAG versions. Postgres is the truth: a run is
 * loaded from its rows on first touch and evicted when it finishes or when a write about it failed
 * (its in-memory state may then be ahead of the database).
 */
export class ActiveRuns {
  readonly #db: Database;
  readonly #runs = new Map<string, ActiveRun>();
  readonly #versions = new Map<string, LoadedVersion>();

  constructor(db: Database) {
    this.#db = db;
  }

  get(runId: string): ActiveRun | undefined {
    return this.#runs.get(runId);
  }

  add(run: ActiveRun): void {
    this.#runs.set(run.id, run);
  }

  /** The cached runs of a DAG, oldest first (in the order they were cached). */
  runsOf(dag: string): ActiveRun[] {
    return [...this.#runs.values()].filter((run) => run.version.dag === dag);
  }

  evict(runId: string): void {
    this.#runs.delete(runId);
  }

  get size(): number {
    return this.#runs.size;
  }

  /** The run from the cache, or loaded from Postgres; null when no such run exists. */
  async load(runId: string): Promise<ActiveRun | null> {
    const cached = this.#runs.get(runId);
    if (cached) return cached;
    const row = await getRunRow(this.#db, runId);
    if (!row) return null;
    const [version, tasks] = await Promise.all([
      this.version(row.dag, row.dagVersion),
      getTaskInstanceRows(this.#db, runId),
    ]);
    if (!version) return null;
    const snapshot: RunSnapshot = { state: row.state as RunState, tasks: {}, seed: row.id };
    if (row.finishedAt) snapshot.finishedAt = row.finishedAt.getTime();
    if (row.deadlineAt) snapshot.deadlineAt = row.deadlineAt.getTime();
    const meta = new Map<string, TaskMeta>();
    for (const task of tasks) {
      const state: TaskInstanceState = { state: task.state as TaskState, attempt: task.attempt };
      if (task.retryAt) state.retryAt = task.retryAt.getTime();
      if (task.output !== null) state.output = task.output as JsonValue;
      if (task.error !== null) state.error = task.error as Failure;
      if (task.reschedules > 0) state.reschedules = task.reschedules;
      if (task.sensorStartedAt) state.sensorStartedAt = task.sensorStartedAt.getTime();
      if (task.attemptBase > 0) state.attemptBase = task.attemptBase;
      if (task.mapCount !== null) state.mapCount = task.mapCount;
      snapshot.tasks[task.taskId] = state;
      meta.set(task.taskId, {
        workerId: task.workerId,
        startedAt: task.startedAt?.getTime() ?? null,
        finishedAt: task.finishedAt?.getTime() ?? null,
        queuedAt: null,
        queueDeadlineAt: task.queueDeadlineAt?.getTime() ?? null,
      });
    }
    const run: ActiveRun = {
      id: row.id,
      version,
      params: row.params,
      snapshot,
      meta,
      createdAt: row.createdAt.getTime(),
      logicalDate: row.logicalDate.getTime(),
      dataIntervalEnd: row.dataIntervalEnd.getTime(),
      runType: row.runType,
      // Runs created before runs had trace ids get a fresh trace.
      traceparent: row.traceparent ?? newTraceparent(),
      traceParentSpanId: row.traceParentSpanId,
    };
    // A finished run is not kept: late events for it are looked up, found stale, and dropped. A clear
    // that makes it run again adds it (see RunLoop).
    if (row.state === 'running') this.#runs.set(run.id, run);
    return run;
  }

  /**
   * A compiled DAG version (latest when `version` is 0), cached forever: versions are immutable. The
   * latest is looked up by number (another coordinator may have registered one since), so a trigger
   * reuses the compiled version, its plan and its params validator rather than loading and compiling
   * them again.
   */
  async version(dag: string, version: number): Promise<LoadedVersion | null> {
    const wanted = version > 0 ? version : await latestDagVersionNumber(this.#db.sql, dag);
    if (wanted === null) return null;
    const cached = this.#versions.get(`${dag}@${wanted}`);
    if (cached) return cached;
    const row = await getDagVersion(this.#db.sql, dag, wanted);
    if (!row) return null;
    const loaded = compileVersion({ ...row, model: row.model as unknown as DagModel });
    this.#versions.set(`${dag}@${row.version}`, loaded);
    return loaded;
  }
}
