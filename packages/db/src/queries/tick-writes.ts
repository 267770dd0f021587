import type { Failure, JsonObject, JsonValue, RunType } from '@tributary/core';
import { NO_STATEMENT, type TransactionConnection } from '../pipelined-transaction.js';

// Every write of the run loop is one statement per kind per tick, whatever the number of rows:
// arrays go in as a handful of parameters and `unnest` turns them into rows. (A VALUES list would
// need a parameter per cell and hits Postgres's 65,535-parameter limit at a few thousand tasks.)
// Times are epoch milliseconds; null stays null. The statements built as text (`unsafe`) are static
// too, so they are prepared like the tagged ones: parsing and planning them on every tick cost more
// than running them. Each function sends its statement when called (`.execute()`), not when awaited,
// and throws at once when it cannot build it: the run loop's transaction sends its COMMIT right after
// them (pipelined-transaction.ts).
const PREPARED = { prepare: true } as const;

type Tx = TransactionConnection;

const toTimestamp = (column: string) =>
  `CASE WHEN ${column} IS NULL THEN NULL ELSE to_timestamp(${column} / 1000.0) END`;
const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));

export interface NewRun {
  id: string;
  dag: string;
  dagVersion: number;
  params: JsonObject;
  requestId: string | null;
  createdAt: number;
  /** When the run times out (epoch ms); null for none (and for a queued run, which has not started). */
  deadlineAt: number | null;
  /** `queued` when the DAG's `maxActiveRuns` keeps it from starting yet. */
  state: 'running' | 'queued';
  /** The run of the dag task that triggered this run. @default null */
  parentRunId?: string | null;
  /** That dag task's id. @default null */
  parentTaskId?: string | null;
  /** The W3C traceparent of the run's span. */
  traceparent: string;
  /** The span id of the run span's parent; null for a root span. */
  traceParentSpanId: string | null;
  /** How the run came to be. */
  runType: RunType;
  /** The start of the data interval it covers (epoch ms); its trigger time when it covers none. */
  logicalDate: number;
  /** The end of that interval (epoch ms); the logical date when it covers none. */
  dataIntervalEnd: number;
}

export interface NewTaskInstance {
  runId: string;
  taskId: string;
  position: number;
  pool: string;
  /** Set for an instance of a mapped task (which shares its task's position). @default null */
  mapIndex?: number | null;
  /** The task's own heartbeat timeout in ms; null for the coordinator's. @default null */
  heartbeatTimeoutMs?: number | null;
}

export function insertRuns(tx: Tx, runs: readonly NewRun[]): Promise<unknown> {
  if (runs.length === 0) return NO_STATEMENT;
  return tx`
    INSERT INTO runs (id, dag, dag_version, state, params, request_id, created_at, deadline_at, parent_run_id, parent_task_id,
                      traceparent, trace_parent_span_id, run_type, logical_date, data_interval_start, data_interval_end)
    SELECT v.id, v.dag, v.dag_version, v.state, v.params::jsonb, v.request_id, to_timestamp(v.created_at / 1000.0),
           CASE WHEN v.deadline_at IS NULL THEN NULL ELSE to_timestamp(v.deadline_at / 1000.0) END,
           v.parent_run_id, v.parent_task_id, v.traceparent, v.trace_parent_span_id, v.run_type,
           to_timestamp(v.logical_date / 1000.0), to_timestamp(v.logical_date / 1000.0),
           to_timestamp(v.data_interval_end / 1000.0)
    FROM unnest(${tx.array(runs.map((r) => r.id))}::uuid[], ${tx.array(runs.map((r) => r.dag))}::text[],
                ${tx.array(runs.map((r) => r.dagVersion))}::int[], ${tx.array(runs.map((r) => JSON.stringify(r.params)))}::text[],
                ${tx.array(runs.map((r) => r.requestId) as string[])}::text[], ${tx.array(runs.map((r) => r.createdAt))}::float8[],
                ${tx.array(runs.map((r) => r.deadlineAt) as number[])}::float8[], ${tx.array(runs.map((r) => r.state))}::text[],
                ${tx.array(runs.map((r) => r.parentRunId ?? null) as string[])}::uuid[],
                ${tx.array(runs.map((r) => r.parentTaskId ?? null) as string[])}::text[],
                ${tx.array(runs.map((r) => r.traceparent))}::text[],
                ${tx.array(runs.map((r) => r.traceParentSpanId) as string[])}::text[],
                ${tx.array(runs.map((r) => r.runType))}::text[],
                ${tx.array(runs.map((r) => r.logicalDate))}::float8[],
                ${tx.array(runs.map((r) => r.dataIntervalEnd))}::float8[])
      AS v(id, dag, dag_version, params, request_id, created_at, deadline_at, state, parent_run_id, parent_task_id,
           traceparent, trace_parent_span_id, run_type, logical_date, data_interval_end)`.execute();
}

export function insertTaskInstances(tx: Tx, rows: readonly NewTaskInstance[]): Promise<unknown> {
  if (rows.length === 0) return NO_STATEMENT;
  return tx`
    INSERT INTO task_instances (run_id, task_id, position, state, attempt, pool, map_index, heartbeat_timeout_ms)
    SELECT v.run_id, v.task_id, v.position, 'pending', 0, v.pool, v.map_index, v.heartbeat_timeout_ms
    FROM unnest(${tx.array(rows.map((r) => r.runId))}::uuid[], ${tx.array(rows.map((r) => r.taskId))}::text[],
                ${tx.array(rows.map((r) => r.position))}::int[], ${tx.array(rows.map((r) => r.pool))}::text[],
                ${tx.array(rows.map((r) => r.mapIndex ?? null) as number[])}::int[],
                ${tx.array(rows.map((r) => r.heartbeatTimeoutMs ?? null) as number[])}::int[])
      AS v(run_id, task_id, position, pool, map_index, heartbeat_timeout_ms)
    -- A mapped task that fans out again after a clear reuses the instance rows it already has.
    ON CONFLICT (run_id, task_id) DO NOTHING`.execute();
}

/** The whole current row of a task instance, as the run loop knows it after a tick. */
export interface TaskInstanceWrite {
  runId: string;
  taskId: string;
  state: string;
  attempt: number;
  retryAt: number | null;
  output: JsonValue | null;
  error: Failure | null;
  workerId: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** Set when the task starts running, so the lost-task sweep measures from then. */
  heartbeatAt: number | null;
  reschedules: number;
  sensorStartedAt: number | null;
  /** The attempt number when the task was last cleared; tries count from there. */
  attemptBase: number;
  /** How many instances a mapped task fanned out to; null before it did, and for other tasks. */
  mapCount: number | null;
  /** When the queued attempt times out for want of a worker (`queue_timeout`); null unless queued with one. */
  queueDeadlineAt: number | null;
}

export function updateTaskInstances(tx: Tx, rows: readonly TaskInstanceWrite[]): Promise<unknown> {
  if (rows.length === 0) return NO_STATEMENT;
  return tx
    .unsafe(
      `UPDATE task_instances t SET
       state = v.state, attempt = v.attempt, retry_at = ${toTimestamp('v.retry_at')},
       output = v.output::jsonb, error = v.error::jsonb, worker_id = v.worker_id,
       started_at = ${toTimestamp('v.started_at')}, finished_at = ${toTimestamp('v.finished_at')},
       -- A dispatch starts afresh: only a worker that receives the new attempt may heartbeat it.
       heartbeat_at = CASE WHEN v.state = 'queued' THEN NULL
                           ELSE COALESCE(${toTimestamp('v.heartbeat_at')}, t.heartbeat_at) END,
       reschedules = v.reschedules, sensor_started_at = ${toTimestamp('v.sensor_started_at')},
       attempt_base = v.attempt_base, map_count = v.map_count, queue_deadline_at = ${toTimestamp('v.queue_deadline_at')}
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::float8[], $6::text[], $7::text[], $8::text[],
                 $9::float8[], $10::float8[], $11::float8[], $12::int[], $13::float8[], $14::int[], $15::int[],
                 $16::float8[])
       AS v(run_id, task_id, state, attempt, retry_at, output, error, worker_id, started_at, finished_at, heartbeat_at,
            reschedules, sensor_started_at, attempt_base, map_count, queue_deadline_at)
     WHERE t.run_id = v.run_id AND t.task_id = v.task_id`,
      [
        rows.map((r) => r.runId),
        rows.map((r) => r.taskId),
        rows.map((r) => r.state),
        rows.map((r) => r.attempt),
        rows.map((r) => r.retryAt),
        rows.map((r) => json(r.output)),
        rows.map((r) => json(r.error)),
        rows.map((r) => r.workerId),
        rows.map((r) => r.startedAt),
        rows.map((r) => r.finishedAt),
        rows.map((r) => r.heartbeatAt),
        rows.map((r) => r.reschedules),
        rows.map((r) => r.sensorStartedAt),
        rows.map((r) => r.attemptBase),
        rows.map((r) => r.mapCount),
        rows.map((r) => r.queueDeadlineAt),
      ] as never[],
      PREPARED,
    )
    .execute();
}

/** What is known of an attempt after a tick; nulls leave a column as it was. */
export interface AttemptWrite {
  runId: string;
  taskId: string;
  attempt: number;
  state: string;
  workerId: string | null;
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: Failure | null;
  logTail: string[] | null;
}

export function upsertAttempts(tx: Tx, rows: readonly AttemptWrite[]): Promise<unknown> {
  if (rows.length === 0) return NO_STATEMENT;
  return tx
    .unsafe(
      `INSERT INTO task_attempts AS a (run_id, task_id, attempt, state, worker_id, queued_at, started_at, finished_at, error, log_tail)
     SELECT v.run_id, v.task_id, v.attempt, v.state, v.worker_id, to_timestamp(v.queued_at / 1000.0),
            ${toTimestamp('v.started_at')}, ${toTimestamp('v.finished_at')}, v.error::jsonb, v.log_tail::jsonb
     FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::float8[],
                 $9::text[], $10::text[])
       AS v(run_id, task_id, attempt, state, worker_id, queued_at, started_at, finished_at, error, log_tail)
     ON CONFLICT (run_id, task_id, attempt) DO UPDATE SET
       state = EXCLUDED.state,
       worker_id = COALESCE(EXCLUDED.worker_id, a.worker_id),
       started_at = COALESCE(EXCLUDED.started_at, a.started_at),
       finished_at = COALESCE(EXCLUDED.finished_at, a.finished_at),
       error = COALESCE(EXCLUDED.error, a.error),
       log_tail = COALESCE(EXCLUDED.log_tail, a.log_tail)`,
      [
        rows.map((r) => r.runId),
        rows.map((r) => r.taskId),
        rows.map((r) => r.attempt),
        rows.map((r) => r.state),
        rows.map((r) => r.workerId),
        rows.map((r) => r.queuedAt),
        rows.map((r) => r.startedAt),
        rows.map((r) => r.finishedAt),
        rows.map((r) => json(r.error)),
        rows.map((r) => json(r.logTail)),
      ] as never[],
      PREPARED,
    )
    .execute();
}

export function finishRuns(
  tx: Tx,
  rows: readonly { id: string; state: string; finishedAt: number }[],
): Promise<unknown> {
  if (rows.length === 0) return NO_STATEMENT;
  return tx`
    UPDATE runs r SET state = v.state, finished_at = to_timestamp(v.finished_at / 1000.0)
    FROM unnest(${tx.array(rows.map((r) => r.id))}::uuid[], ${tx.array(rows.map((r) => r.state))}::text[],
                ${tx.array(rows.map((r) => r.finishedAt))}::float8[]) AS v(id, state, finished_at)
    WHERE r.id = v.id`.execute();
}

/** A finished run that runs again (tasks were cleared), with its new deadline. */
export interface ReopenedRun {
  id: string;
  /** When the run times out now (epoch ms); null for none. */
  deadlineAt: number | null;
}

/** Sets finished runs running again: no finish time, and the deadline their `dagrun_timeout` gives now. */
export function reopenRuns(tx: Tx, rows: readonly ReopenedRun[]): Promise<unknown> {
  if (rows.length === 0) return NO_STATEMENT;
  return tx`
    UPDATE runs r SET state = 'running', finished_at = NULL,
           deadline_at = CASE WHEN v.deadline_at IS NULL THEN NULL ELSE to_timestamp(v.deadline_at / 1000.0) END
    FROM unnest(${tx.array(rows.map((r) => r.id))}::uuid[],
                ${tx.array(rows.map((r) => r.deadlineAt) as number[])}::float8[]) AS v(id, deadline_at)
    WHERE r.id = v.id`.execute();
}

export interface OutboxMessage {
  msgId: string;
  pool: string;
  payload: Uint8Array;
  traceparent: string | null;
}

/** Inserts outbox rows and returns their ids, in order. */
export function insertOutbox(tx: Tx, rows: readonly OutboxMessage[]): Promise<number[]> {
  if (rows.length === 0) return Promise.resolve([]);
  return tx
    .unsafe<{ id: number }[]>(
      `INSERT INTO outbox (msg_id, pool, payload, traceparent)
     SELECT v.msg_id, v.pool, decode(v.payload, 'base64'), v.traceparent
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS v(msg_id, pool, payload, traceparent)
     RETURNING id`,
      [
        rows.map((r) => r.msgId),
        rows.map((r) => r.pool),
        // Base64 text: postgres.js does not encode bytea inside arrays.
        rows.map((r) => Buffer.from(r.payload).toString('base64')),
        rows.map((r) => r.traceparent),
      ] as never[],
      PREPARED,
    )
    .execute()
    .then((inserted) => inserted.map((r) => Number(r.id)));
}
