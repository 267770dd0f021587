import type { JsonObject } from '@tributary/core';
import { inArray } from 'drizzle-orm';
import type { Sql } from 'postgres';
import type { Database } from '../connect.js';
import { NO_STATEMENT, type TransactionConnection } from '../pipelined-transaction.js';
import { runs } from '../schema.js';
import type { RunRow } from './runs.js';

/** A DAG whose latest version has a schedule, with its scheduler state. */
export interface ScheduledDagRow {
  dag: string;
  version: number;
  /** The latest version's `schedule` (a ScheduleModel). */
  schedule: JsonObject;
  maxActiveRuns: number | null;
  paused: boolean;
  /** The start of the last data interval handled (epoch ms); null before the first. */
  cursor: number | null;
  /** The interval buffer_one holds (its start, epoch ms); null when none. */
  buffered: number | null;
  /** When the scheduler first saw the DAG (epoch ms): the start of a schedule without start_date. */
  firstSeenAt: number;
}

const ms = (value: Date | null): number | null => (value === null ? null : value.getTime());

/**
 * Every DAG whose latest version has a schedule, with its scheduler state; a DAG seen for the first time
 * gets its state row (which fixes `firstSeenAt`).
 */
export async function loadScheduledDags(sql: Sql): Promise<ScheduledDagRow[]> {
  const rows = await sql<
    {
      dag: string;
      version: number;
      schedule: JsonObject;
      maxActiveRuns: number | null;
      paused: boolean | null;
      cursor: Date | null;
      buffered: Date | null;
      firstSeenAt: Date | null;
    }[]
  >`
    WITH latest AS (
      SELECT DISTINCT ON (dag) dag, version, model FROM dag_versions ORDER BY dag, version DESC
    ), scheduled AS (
      SELECT dag, version, model->'schedule' AS schedule, (model->>'maxActiveRuns')::int AS max_active_runs
      FROM latest WHERE jsonb_typeof(model->'schedule') = 'object'
    ), created AS (
      INSERT INTO dag_schedules (dag) SELECT dag FROM scheduled ON CONFLICT (dag) DO NOTHING
      RETURNING dag, paused, cursor, buffered, first_seen_at
    )
    SELECT s.dag, s.version, s.schedule, s.max_active_runs AS "maxActiveRuns",
           coalesce(c.paused, d.paused) AS paused, coalesce(c.cursor, d.cursor) AS cursor,
           coalesce(c.buffered, d.buffered) AS buffered,
           coalesce(c.first_seen_at, d.first_seen_at) AS "firstSeenAt"
    FROM scheduled s
    LEFT JOIN created c ON c.dag = s.dag
    LEFT JOIN dag_schedules d ON d.dag = s.dag
    ORDER BY s.dag`;
  return rows.map((row) => ({
    dag: row.dag,
    version: row.version,
    schedule: row.schedule,
    maxActiveRuns: row.maxActiveRuns,
    paused: row.paused ?? false,
    cursor: ms(row.cursor),
    buffered: ms(row.buffered),
    firstSeenAt: ms(row.firstSeenAt) ?? Date.now(),
  }));
}

/** The scheduled runs of each DAG still queued or running, oldest first. */
export async function activeScheduledRuns(sql: Sql): Promise<Map<string, string[]>> {
  const rows = await sql<{ dag: string; id: string }[]>`
    SELECT dag, id FROM runs
    WHERE run_type = 'scheduled' AND state IN ('queued', 'running')
    ORDER BY dag, created_at, id`;
  const active = new Map<string, string[]>();
  for (const row of rows) {
    const ids = active.get(row.dag) ?? [];
    ids.push(row.id);
    active.set(row.dag, ids);
  }
  return active;
}

/** What a scheduler pass changes of a DAG's state: written in the tick that creates its runs. */
export interface ScheduleStateWrite {
  dag: string;
  /** The start of the last interval handled now (epoch ms). */
  cursor: number;
  buffered: number | null;
  /** Intervals skipped in this pass. */
  skipped: number;
}

export function writeScheduleStates(
  tx: TransactionConnection,
  rows: readonly ScheduleStateWrite[],
): Promise<unknown> {
  if (rows.length === 0) return NO_STATEMENT;
  return tx`
    INSERT INTO dag_schedules AS s (dag, cursor, buffered, skipped, updated_at)
    SELECT v.dag, to_timestamp(v.cursor / 1000.0),
           CASE WHEN v.buffered IS NULL THEN NULL ELSE to_timestamp(v.buffered / 1000.0) END, v.skipped, now()
    FROM unnest(${tx.array(rows.map((r) => r.dag))}::text[], ${tx.array(rows.map((r) => r.cursor))}::float8[],
                ${tx.array(rows.map((r) => r.buffered) as number[])}::float8[],
                ${tx.array(rows.map((r) => r.skipped))}::bigint[]) AS v(dag, cursor, buffered, skipped)
    ON CONFLICT (dag) DO UPDATE SET cursor = excluded.cursor, buffered = excluded.buffered,
      skipped = s.skipped + excluded.skipped, updated_at = now()`.execute();
}

/** Scheduled and backfill runs of these (dag, logical date) pairs: there is at most one per pair. */
export async function findRunsByLogicalDates(
  db: Database,
  keys: readonly { dag: string; logicalDate: number }[],
): Promise<RunRow[]> {
  if (keys.length === 0) return [];
  const { sql } = db;
  const rows = await sql<{ id: string }[]>`
    SELECT r.id FROM runs r
    JOIN unnest(${sql.array(keys.map((k) => k.dag))}::text[], ${sql.array(keys.map((k) => k.logicalDate))}::float8[])
      AS k(dag, logical_date) ON r.dag = k.dag AND r.logical_date = to_timestamp(k.logical_date / 1000.0)
    WHERE r.run_type IN ('scheduled', 'backfill')`;
  if (rows.length === 0) return [];
  return runRowsById(db, rows);
}

/** Pauses or unpauses a DAG. False when there is no such DAG. */
export async function setDagPaused(sql: Sql, dag: string, paused: boolean): Promise<boolean> {
  const rows = await sql<{ dag: string }[]>`
    INSERT INTO dag_schedules (dag, paused)
    SELECT name, ${paused} FROM dags WHERE name = ${dag}
    ON CONFLICT (dag) DO UPDATE SET paused = excluded.paused, updated_at = now()
    RETURNING dag`;
  return rows.length > 0;
}

/** Whether each of these DAGs is paused (a DAG without scheduler state is not). */
export async function pausedDags(sql: Sql, dags: readonly string[]): Promise<Set<string>> {
  if (dags.length === 0) return new Set();
  const rows = await sql<{ dag: string }[]>`
    SELECT dag FROM dag_schedules WHERE paused AND dag = ANY(${sql.array([...dags])})`;
  return new Set(rows.map((row) => row.dag));
}

/** Every DAG's scheduler state, by DAG. */
export async function scheduleStates(
  sql: Sql,
): Promise<Map<string, { paused: boolean; cursor: number | null; skipped: number; firstSeenAt: number }>> {
  const rows = await sql<
    { dag: string; paused: boolean; cursor: Date | null; skipped: string; firstSeenAt: Date }[]
  >`
    SELECT dag, paused, cursor, skipped, first_seen_at AS "firstSeenAt" FROM dag_schedules`;
  return new Map(
    rows.map((row) => [
      row.dag,
      {
        paused: row.paused,
        cursor: ms(row.cursor),
        skipped: Number(row.skipped),
        firstSeenAt: row.firstSeenAt.getTime(),
      },
    ]),
  );
}

/** Each DAG's most recent run (by creation), one per DAG that has run. */
export async function lastRunRows(db: Database): Promise<RunRow[]> {
  // The lateral join walks runs_by_dag_created once per DAG instead of sorting every run.
  const ids = await db.sql<{ id: string }[]>`
    SELECT r.id FROM dags d
    CROSS JOIN LATERAL (
      SELECT id FROM runs WHERE runs.dag = d.name ORDER BY created_at DESC, id DESC LIMIT 1
    ) r`;
  if (ids.length === 0) return [];
  return runRowsById(db, ids);
}

function runRowsById(db: Database, rows: readonly { id: string }[]): Promise<RunRow[]> {
  return db.orm
    .select()
    .from(runs)
    .where(
      inArray(
        runs.id,
        rows.map((row) => row.id),
      ),
    );
}

/** An event message that started no run. */
export interface RejectedEventRow {
  dag: string;
  subject: string;
  streamSeq: number;
  receivedAt: Date;
  error: string;
  payload: string;
}

/** Records rejected event messages; a redelivered message (same DAG and stream sequence) is kept once. */
export async function insertRejectedEvents(
  sql: Sql,
  rows: readonly Omit<RejectedEventRow, 'receivedAt'>[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    INSERT INTO rejected_events (dag, subject, stream_seq, error, payload)
    SELECT * FROM unnest(${sql.array(rows.map((r) => r.dag))}::text[], ${sql.array(rows.map((r) => r.subject))}::text[],
                         ${sql.array(rows.map((r) => r.streamSeq))}::bigint[], ${sql.array(rows.map((r) => r.error))}::text[],
                         ${sql.array(rows.map((r) => r.payload))}::text[])
    ON CONFLICT (dag, stream_seq) DO NOTHING`;
}

/** Rejected event messages, newest first; of one DAG when `dag` is not empty. */
export async function listRejectedEvents(sql: Sql, dag: string, limit: number): Promise<RejectedEventRow[]> {
  const rows = await sql<(Omit<RejectedEventRow, 'streamSeq'> & { streamSeq: string })[]>`
    SELECT dag, subject, stream_seq AS "streamSeq", received_at AS "receivedAt", error, payload
    FROM rejected_events WHERE ${dag} = '' OR dag = ${dag}
    ORDER BY id DESC LIMIT ${limit}`;
  return rows.map((row) => ({ ...row, streamSeq: Number(row.streamSeq) }));
}

/** How many event messages of each DAG were rejected. */
export async function countRejectedEvents(sql: Sql): Promise<Map<string, number>> {
  const rows = await sql<
    { dag: string; n: string }[]
  >`SELECT dag, count(*) AS n FROM rejected_events GROUP BY dag`;
  return new Map(rows.map((row) => [row.dag, Number(row.n)]));
}

/** A success of a task that some DAG's `after` names. */
export interface AfterEventWrite {
  dag: string;
  sourceDag: string;
  sourceTask: string;
  sourceRunId: string;
  succeededAt: number;
}

/** Records successes for DAGs' `after`; the latest success per (dag, source task) is kept. */
export function upsertAfterEvents(
  tx: TransactionConnection,
  rows: readonly AfterEventWrite[],
): Promise<unknown> {
  if (rows.length === 0) return NO_STATEMENT;
  return tx`
    INSERT INTO after_events (dag, source_dag, source_task, source_run_id, succeeded_at)
    SELECT v.dag, v.source_dag, v.source_task, v.source_run_id, to_timestamp(v.succeeded_at / 1000.0)
    FROM unnest(${tx.array(rows.map((r) => r.dag))}::text[], ${tx.array(rows.map((r) => r.sourceDag))}::text[],
                ${tx.array(rows.map((r) => r.sourceTask))}::text[], ${tx.array(rows.map((r) => r.sourceRunId))}::uuid[],
                ${tx.array(rows.map((r) => r.succeededAt))}::float8[]) AS v(dag, source_dag, source_task, source_run_id, succeeded_at)
    ON CONFLICT (dag, source_dag, source_task) DO UPDATE
      SET source_run_id = excluded.source_run_id, succeeded_at = excluded.succeeded_at`.execute();
}

/** The recorded successes, by the DAG waiting for them. */
export async function loadAfterEvents(sql: Sql): Promise<AfterEventWrite[]> {
  const rows = await sql<(Omit<AfterEventWrite, 'succeededAt'> & { succeededAt: Date })[]>`
    SELECT dag, source_dag AS "sourceDag", source_task AS "sourceTask", source_run_id AS "sourceRunId",
           succeeded_at AS "succeededAt"
    FROM after_events ORDER BY dag`;
  return rows.map((row) => ({ ...row, succeededAt: row.succeededAt.getTime() }));
}

/** Consumes the successes a run of `dag` was started for. */
export function deleteAfterEvents(
  tx: TransactionConnection,
  rows: readonly { dag: string; sourceDag: string; sourceTask: string; sourceRunId: string }[],
): Promise<unknown> {
  if (rows.length === 0) return NO_STATEMENT;
  // Only the successes that were used: a newer one recorded meanwhile (another source run) stays.
  return tx`
    DELETE FROM after_events e
    USING unnest(${tx.array(rows.map((r) => r.dag))}::text[], ${tx.array(rows.map((r) => r.sourceDag))}::text[],
                 ${tx.array(rows.map((r) => r.sourceTask))}::text[], ${tx.array(rows.map((r) => r.sourceRunId))}::uuid[])
      AS v(dag, source_dag, source_task, source_run_id)
    WHERE e.dag = v.dag AND e.source_dag = v.source_dag AND e.source_task = v.source_task
      AND e.source_run_id = v.source_run_id`.execute();
}

/** The `after` list of every DAG whose latest version has one. */
export async function latestAfterLists(
  sql: Sql,
): Promise<{ dag: string; after: { dag: string; task: string }[] }[]> {
  return sql<{ dag: string; after: { dag: string; task: string }[] }[]>`
    SELECT dag, after FROM (
      SELECT DISTINCT ON (dag) dag, model->'after' AS after FROM dag_versions ORDER BY dag, version DESC
    ) latest
    WHERE jsonb_typeof(after) = 'array' AND jsonb_array_length(after) > 0
    ORDER BY dag`;
}

/** The `on` of every DAG whose latest version has one, with that version's number. */
export async function latestEventTriggers(
  sql: Sql,
): Promise<{ dag: string; version: number; events: JsonObject }[]> {
  return sql<{ dag: string; version: number; events: JsonObject }[]>`
    SELECT dag, version, events FROM (
      SELECT DISTINCT ON (dag) dag, version, model->'events' AS events FROM dag_versions ORDER BY dag, version DESC
    ) latest
    WHERE jsonb_typeof(events) = 'object'
    ORDER BY dag`;
}
