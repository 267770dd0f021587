import type { Sql } from 'postgres';
import { NO_STATEMENT, type TransactionConnection } from '../pipelined-transaction.js';

/**
 * Queued runs that may start now: per DAG, the oldest ones that fit under their version's
 * `maxActiveRuns` beside the runs already running. The run loop checks the limit again when it starts
 * them (it is the only writer); this only finds candidates.
 */
export async function startableQueuedRuns(sql: Sql, limit: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    WITH queued AS (
      SELECT r.id, r.dag, r.created_at, (v.model->>'maxActiveRuns')::int AS max_runs
      FROM runs r JOIN dag_versions v ON v.dag = r.dag AND v.version = r.dag_version
      WHERE r.state = 'queued'
    ), running AS (
      SELECT dag, count(*)::int AS n FROM runs WHERE state = 'running' AND dag IN (SELECT dag FROM queued) GROUP BY dag
    ), ranked AS (
      SELECT q.id, q.max_runs, coalesce(running.n, 0) AS n, q.created_at,
             row_number() OVER (PARTITION BY q.dag ORDER BY q.created_at, q.id) AS rank
      FROM queued q LEFT JOIN running ON running.dag = q.dag
    )
    SELECT id FROM ranked WHERE max_runs IS NULL OR rank <= max_runs - n
    ORDER BY created_at LIMIT ${limit}`;
  return rows.map((row) => row.id);
}

/** How many runs of each of these DAGs are running now. */
export async function countRunningRuns(sql: Sql, dags: readonly string[]): Promise<Map<string, number>> {
  if (dags.length === 0) return new Map();
  const rows = await sql<{ dag: string; n: number }[]>`
    SELECT dag, count(*)::int AS n FROM runs WHERE state = 'running' AND dag = ANY(${sql.array([...dags])})
    GROUP BY dag`;
  return new Map(rows.map((row) => [row.dag, row.n]));
}

/** Marks queued runs as started, with the deadline their start set. */
export function startRuns(
  tx: TransactionConnection,
  rows: readonly { id: string; deadlineAt: number | null }[],
): Promise<unknown> {
  if (rows.length === 0) return NO_STATEMENT;
  return tx`
    UPDATE runs r SET state = 'running',
      deadline_at = CASE WHEN v.deadline_at IS NULL THEN NULL ELSE to_timestamp(v.deadline_at / 1000.0) END
    FROM unnest(${tx.array(rows.map((r) => r.id))}::uuid[], ${tx.array(rows.map((r) => r.deadlineAt) as number[])}::float8[])
      AS v(id, deadline_at)
    WHERE r.id = v.id AND r.state = 'queued'`.execute();
}
