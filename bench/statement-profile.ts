import { OBSERVER_ROLE } from './environment.js';
import type { CounterSources } from './server-counters.js';

/** One statement's share of a workload, from pg_stat_statements. */
export interface StatementShare {
  /** The normalised query text, whitespace collapsed, cut at 160 characters. */
  query: string;
  callsPerTask: number;
  /** Total execution time per task, in ms (planning not included). */
  msPerTask: number;
  rowsPerCall: number;
}

/** Calls, time and rows of every statement of the workload's database so far, by query id. */
export type StatementSnapshot = Map<string, { query: string; calls: number; ms: number; rows: number }>;

/** Reads pg_stat_statements for the workload's database (the observer's own statements left out). */
export async function statementSnapshot(sources: CounterSources): Promise<StatementSnapshot> {
  if (!sources.statementStats) return new Map();
  const rows = await sources.admin`
    SELECT queryid::text AS id, query, calls::bigint AS calls, total_exec_time AS ms, rows::bigint AS rows
    FROM pg_stat_statements s
    WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = ${sources.database})
      AND s.userid <> (SELECT oid FROM pg_roles WHERE rolname = ${OBSERVER_ROLE})`;
  return new Map(
    rows.map((row) => [
      row.id as string,
      { query: row.query as string, calls: Number(row.calls), ms: row.ms as number, rows: Number(row.rows) },
    ]),
  );
}

/** The `limit` statements that ran most often between two snapshots, per task. */
export function topStatements(
  before: StatementSnapshot,
  after: StatementSnapshot,
  tasks: number,
  limit = 10,
): StatementShare[] {
  const shares: StatementShare[] = [];
  for (const [id, now] of after) {
    const then = before.get(id) ?? { calls: 0, ms: 0, rows: 0 };
    const calls = now.calls - then.calls;
    if (calls <= 0) continue;
    shares.push({
      query: now.query.replace(/\s+/g, ' ').slice(0, 160),
      callsPerTask: calls / tasks,
      msPerTask: (now.ms - then.ms) / tasks,
      rowsPerCall: (now.rows - then.rows) / calls,
    });
  }
  return shares.sort((a, b) => b.callsPerTask - a.callsPerTask).slice(0, limit);
}
