import { create, type MessageInitShape } from '@bufbuild/protobuf';
import type { RunContextBucket } from '@tributary/bus';
import type { AttemptState, JsonValue, RunState, TaskState } from '@tributary/core';
import {
  type AttemptRow,
  countTaskStates,
  type Database,
  getAttemptRows,
  getRunRow,
  getTaskInstanceRows,
  listWorkerRows,
  type RunRow,
} from '@tributary/db';
import {
  attemptStateToProto,
  failureToProto,
  jsonToValue,
  type Run,
  RunSchema,
  runStateToProto,
  runTypeToProto,
  type TaskInstanceSchema,
  taskStateToProto,
  timestamp,
} from '@tributary/proto';
import type { ActiveRun } from '../active-runs.js';
import { livePools, noLiveWorkerText } from './waiting.js';

type TaskInit = MessageInitShape<typeof TaskInstanceSchema>;

/** How the run view judges whether a queued task's pool has a live worker. */
export interface WaitingOptions {
  /** The coordinator's `heartbeatTimeoutMs`: a worker silent for longer is not live. */
  heartbeatTimeoutMs: number;
}

/**
 * A run with every task and attempt, read from Postgres (the truth), and its run context (at most
 * `RUN_CONTEXT_READ_LIMIT` keys) from NATS KV when `contexts` is given; null when there is no such run.
 * A context that cannot be read (NATS unavailable) leaves `context` unset rather than failing the view.
 * With `waiting`, each queued task whose pool has no live worker says so in its `waiting` field.
 */
export async function readRunView(
  db: Database,
  runId: string,
  contexts?: Pick<RunContextBucket, 'read'>,
  waiting?: WaitingOptions,
): Promise<Run | null> {
  const row = await getRunRow(db, runId);
  if (!row) return null;
  const [tasks, attempts, context] = await Promise.all([
    getTaskInstanceRows(db, runId),
    getAttemptRows(db, runId),
    contexts?.read(runId).then(
      (view) => view.values,
      () => undefined,
    ),
  ]);
  const attemptsByTask = new Map<string, AttemptRow[]>();
  for (const attempt of attempts) {
    const list = attemptsByTask.get(attempt.taskId) ?? [];
    list.push(attempt);
    attemptsByTask.set(attempt.taskId, list);
  }
  const counts: Record<string, number> = {};
  for (const task of tasks) counts[task.state] = (counts[task.state] ?? 0) + 1;
  const now = Date.now();
  // The workers table is read only when a task waits in a queue.
  const live =
    waiting !== undefined && (counts.queued ?? 0) > 0
      ? livePools(await listWorkerRows(db), now, waiting.heartbeatTimeoutMs)
      : undefined;
  const waitingText = (task: (typeof tasks)[number]): string => {
    if (live === undefined || task.state !== 'queued' || live.has(task.pool)) return '';
    const queuedAt = attemptsByTask.get(task.taskId)?.find((a) => a.attempt === task.attempt)?.queuedAt;
    return noLiveWorkerText(task.pool, queuedAt === undefined ? 0 : now - queuedAt.getTime());
  };
  return create(RunSchema, {
    ...runHeader(row),
    taskCounts: counts,
    ...(context !== undefined ? { context } : {}),
    tasks: tasks.map(
      (task): TaskInit => ({
        taskId: task.taskId,
        state: taskStateToProto(task.state as TaskState),
        attempt: task.attempt,
        pool: task.pool,
        workerId: task.workerId ?? '',
        ...optionalTime('startedAt', task.startedAt),
        ...optionalTime('finishedAt', task.finishedAt),
        ...optionalTime('retryAt', task.retryAt),
        ...(task.output !== null ? { output: jsonToValue(task.output as JsonValue) } : {}),
        ...(task.error ? { error: failureToProto(task.error) } : {}),
        attempts: (attemptsByTask.get(task.taskId) ?? []).map(attemptView),
        waiting: waitingText(task),
      }),
    ),
  });
}

/** Runs for a listing: headers and counts per state, no tasks. */
export async function listRunViews(db: Database, rows: readonly RunRow[]): Promise<Run[]> {
  const counts = await countTaskStates(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => create(RunSchema, { ...runHeader(row), taskCounts: counts.get(row.id) ?? {} }));
}

/** A run just created by the run loop, from memory: no database round trip on the trigger path. */
export function newRunView(
  run: ActiveRun,
  requestId: string | null,
  createdAt: number,
  parent?: { runId: string; taskId: string },
): Run {
  const counts: Record<string, number> = {};
  const tasks = run.version.model.tasks.map((task): TaskInit => {
    const state = run.snapshot.tasks[task.id]!;
    counts[state.state] = (counts[state.state] ?? 0) + 1;
    return { taskId: task.id, state: taskStateToProto(state.state), attempt: state.attempt, pool: task.pool };
  });
  return create(RunSchema, {
    id: run.id,
    dag: run.version.dag,
    dagVersion: run.version.version,
    state: runStateToProto(run.snapshot.state),
    params: run.params,
    requestId: requestId ?? '',
    createdAt: timestamp(createdAt),
    parentRunId: parent?.runId ?? '',
    parentTaskId: parent?.taskId ?? '',
    runType: runTypeToProto(run.runType),
    logicalDate: timestamp(run.logicalDate),
    dataIntervalStart: timestamp(run.logicalDate),
    dataIntervalEnd: timestamp(run.dataIntervalEnd),
    tasks,
    taskCounts: counts,
  });
}

function runHeader(row: RunRow) {
  return {
    id: row.id,
    dag: row.dag,
    dagVersion: row.dagVersion,
    state: runStateToProto(row.state as RunState),
    params: row.params,
    requestId: row.requestId ?? '',
    createdAt: timestamp(row.createdAt.getTime()),
    ...optionalTime('finishedAt', row.finishedAt),
    parentRunId: row.parentRunId ?? '',
    parentTaskId: row.parentTaskId ?? '',
    runType: runTypeToProto(row.runType),
    logicalDate: timestamp(row.logicalDate.getTime()),
    dataIntervalStart: timestamp(row.dataIntervalStart.getTime()),
    dataIntervalEnd: timestamp(row.dataIntervalEnd.getTime()),
  };
}

function attemptView(row: AttemptRow) {
  return {
    number: row.attempt,
    state: attemptStateToProto(row.state as AttemptState),
    workerId: row.workerId ?? '',
    queuedAt: timestamp(row.queuedAt.getTime()),
    ...optionalTime('startedAt', row.startedAt),
    ...optionalTime('finishedAt', row.finishedAt),
    ...(row.error ? { error: failureToProto(row.error) } : {}),
    logTail: row.logTail ?? [],
  };
}

function optionalTime<K extends string>(key: K, value: Date | null) {
  return (value ? { [key]: timestamp(value.getTime()) } : {}) as Partial<
    Record<K, ReturnType<typeof timestamp>>
  >;
}
