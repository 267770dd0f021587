import { formatDuration, type JsonObject } from '@tributary/core';
import {
  type DagSchedule,
  type DagSummary,
  failureFromProto,
  millisFromTimestamp,
  type Run,
  RunType,
  runStateFromProto,
  type TaskInstance,
  taskStateFromProto,
  valueToJson,
} from '@tributary/proto';

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/** `2024-01-01T00:00:00Z`: an instant in UTC to the second, as tables show schedule times; `-` when unset. */
export function formatInstant(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** How a run came to be, lower-case (`manual`, `scheduled`, `backfill`, `event`, `after`); undefined when the server did not say. */
export function runTypeName(type: RunType): string | undefined {
  return type === RunType.UNSPECIFIED ? undefined : RunType[type]?.toLowerCase();
}

/** Whether a run covers a data interval of its DAG's schedule (and so has a meaningful logical date). */
export function isIntervalRun(run: Run): boolean {
  return run.runType === RunType.SCHEDULED || run.runType === RunType.BACKFILL;
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
    run_type: runTypeName(run.runType) ?? null,
    logical_date: iso(millisFromTimestamp(run.logicalDate)),
    data_interval_start: iso(millisFromTimestamp(run.dataIntervalStart)),
    data_interval_end: iso(millisFromTimestamp(run.dataIntervalEnd)),
  };
  if (run.tasks.length > 0) json.tasks = run.tasks.map(taskToJson);
  if (run.context !== undefined) json.context = run.context;
  return json;
}

/** A DAG's schedule as `--json` output: snake_case keys, ISO times, unset times as null. */
function scheduleToJson(schedule: DagSchedule): JsonObject {
  return {
    cron: schedule.cron,
    timezone: schedule.timezone,
    start_date: iso(millisFromTimestamp(schedule.startDate)),
    end_date: iso(millisFromTimestamp(schedule.endDate)),
    catchup: schedule.catchup,
    overlap: schedule.overlap,
    next_run_at: iso(millisFromTimestamp(schedule.nextRunAt)),
    next_logical_date: iso(millisFromTimestamp(schedule.nextLogicalDate)),
    // uint64 on the wire; counts of intervals stay far below 2^53.
    skipped: Number(schedule.skipped),
  };
}

/** A DAG listing entry as `--json` output, with what starts its runs and its most recent run. */
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
    schedule: dag.schedule === undefined ? null : scheduleToJson(dag.schedule),
    event_subject: dag.eventSubject === '' ? null : dag.eventSubject,
    after: [...dag.after],
    paused: dag.paused,
    last_run: dag.lastRun === undefined ? null : runToJson(dag.lastRun),
    rejected_events: Number(dag.rejectedEvents),
  };
}
