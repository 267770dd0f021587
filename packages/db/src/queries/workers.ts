import { asc, sql as sqlTag } from 'drizzle-orm';
import type { Sql } from 'postgres';
import type { Database } from '../connect.js';
import { workers } from '../schema.js';
import type { AttemptKey } from './timers.js';

// The worker registry: one row per worker, its latest heartbeat. Written in one statement per flush of
// the coordinator's heartbeat collection; read by ListWorkers.

/** A worker's row: what its latest heartbeat said, and when it arrived. */
export type WorkerRow = typeof workers.$inferSelect;

/** The latest heartbeat of one worker, as the coordinator writes it. Times are epoch milliseconds. */
export interface WorkerHeartbeatWrite {
  id: string;
  host: string;
  pools: readonly string[];
  concurrency: number;
  version: string;
  /** When the worker started; null when it did not say. */
  startedAt: number | null;
  /** When the coordinator received the heartbeat (its own clock, not the worker's). */
  lastHeartbeatAt: number;
  /** True for a worker's last heartbeat, sent as it stops. */
  stopping: boolean;
  running: readonly AttemptKey[];
}

/**
 * Inserts or replaces the rows of these workers, in one statement whatever their number. A heartbeat
 * older than the one a row already has (another coordinator wrote a later one) leaves the row alone.
 * Each worker must appear once in `rows`.
 */
export async function upsertWorkers(sql: Sql, rows: readonly WorkerHeartbeatWrite[]): Promise<void> {
  if (rows.length === 0) return;
  // Arrays of arrays cannot go through unnest (it flattens them), so pools travel as JSON text.
  await sql`
    INSERT INTO workers (id, host, pools, concurrency, version, started_at, last_heartbeat_at, stopping, running)
    SELECT v.id, v.host, ARRAY(SELECT jsonb_array_elements_text(v.pools::jsonb)), v.concurrency, v.version,
           CASE WHEN v.started_at IS NULL THEN NULL ELSE to_timestamp(v.started_at / 1000.0) END,
           to_timestamp(v.last_heartbeat_at / 1000.0), v.stopping, v.running::jsonb
    FROM unnest(${sql.array(rows.map((r) => r.id))}::text[], ${sql.array(rows.map((r) => r.host))}::text[],
                ${sql.array(rows.map((r) => JSON.stringify(r.pools)))}::text[],
                ${sql.array(rows.map((r) => r.concurrency))}::int[], ${sql.array(rows.map((r) => r.version))}::text[],
                ${sql.array(rows.map((r) => r.startedAt) as number[])}::float8[],
                ${sql.array(rows.map((r) => r.lastHeartbeatAt))}::float8[],
                ${sql.array(rows.map((r) => r.stopping))}::boolean[],
                ${sql.array(rows.map((r) => JSON.stringify(r.running)))}::text[])
      AS v(id, host, pools, concurrency, version, started_at, last_heartbeat_at, stopping, running)
    ON CONFLICT (id) DO UPDATE SET
      host = excluded.host, pools = excluded.pools, concurrency = excluded.concurrency,
      version = excluded.version, started_at = excluded.started_at,
      last_heartbeat_at = excluded.last_heartbeat_at, stopping = excluded.stopping, running = excluded.running
    WHERE workers.last_heartbeat_at <= excluded.last_heartbeat_at`;
}

/** Every registered worker, by id; with `pool`, only the workers serving that pool. */
export async function listWorkerRows(db: Database, options: { pool?: string } = {}): Promise<WorkerRow[]> {
  return db.orm
    .select()
    .from(workers)
    .where(options.pool === undefined ? undefined : sqlTag`${options.pool} = ANY(${workers.pools})`)
    .orderBy(asc(workers.id));
}

/** Deletes the workers whose last heartbeat arrived before `cutoffMs` (epoch ms); returns their ids. */
export async function deleteExpiredWorkers(sql: Sql, cutoffMs: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    DELETE FROM workers WHERE last_heartbeat_at < to_timestamp(${cutoffMs} / 1000.0) RETURNING id`;
  return rows.map((row) => row.id);
}
