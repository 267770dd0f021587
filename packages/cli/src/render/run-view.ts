import { formatDuration, type JsonObject } from '@tributary/core';
import {
  type DagSummary,
  failureFromProto,
  millisFromTimestamp,
  type Run,
  runStateFromProto,
  type TaskInstance,
  taskStateFromProto,
  valueToJson,
} from '@tributary/proto';

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/** `1.20s`, or `-` when the span has not started; a span still open runs up to `now`. */
export function formatSpan(
  startedAt: number | undefined,
  finishedAt: number | undefined,
  now: number,
): string {
  if (startedAt === undefined) return '-';
  return formatDuration(Math.max(0, (finishedAt ?? now) - startedAt));
}

/** `3 succeeded, 1 failed` from a run's per-state counts, zeros left out. */
export function formatCounts(counts: Record<string, number>): string {
  return (
    Object.entries(counts)
      .filter(([, count]) => count > 0)
      .map(([state, count]) => `${count} ${state}`)
      .join(', ') || '-'
  );
}

/** One task instance as `--json` output. */
export function taskToJson(task: TaskInstance): JsonObject {
  const json: JsonObject = {
    id: task.taskId,
    state: taskStateFromProto(task.state),
    attempt: task.attempt,
    pool: task.pool,
    worker: task.workerId === '' ? null : task.workerId,
    started_at: iso(millisFromTimestamp(task.startedAt)),
    finished_at: iso(millisFromTimestamp(task.finishedAt)),
  };
  if (task.waiting !== '') json.waiting = task.waiting;
  if (task.output !== undefined) json.output = valueToJson(task.output);
  if (task.error !== undefined) {
    const { message, type, retryable } = failureFromProto(task.error);
    json.error = { message, type, retryable };
  }
  return json;
}

/** A run as `--json` output: snake_case keys, ISO times. Listings carry no tasks. */
export function runToJson(run: Run): JsonObject {
  const json: JsonObject = {
    id: run.id,
    dag: run.dag,
    version: run.dagVersion,
    state: runStateFromProto(run.state),
    params: run.params ?? {},
    request_id: run.requestId === '' ? null : run.requestId,
    parent: run.parentRunId === '' ? null : { run_id: run.parentRunId, task_id: run.parentTaskId },
    created_at: iso(millisFromTimestamp(run.createdAt)),
    finished_at: iso(millisFromTimestamp(run.finishedAt)),
    task_counts: { ...run.taskCounts },
  };
  if (run.tasks.length > 0) json.tasks = run.tasks.map(taskToJson);
  if (run.context !== undefined) json.context = run.context;
  return json;
}

/** A DAG listing entry as `--json` output. */
export function dagToJson(dag: DagSummary): JsonObject {
  const latest = dag.latest;
  return {
    name: dag.name,
    versions: dag.versionCount,
    latest:
      latest === undefined
        ? null
        : {
            version: latest.version,
            bundle_hash: latest.bundleHash,
            created_at: iso(millisFromTimestamp(latest.createdAt)),
            description: latest.description,
            task_count: latest.taskCount,
          },
  };
}
