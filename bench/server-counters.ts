import type { Sql } from 'postgres';
import { OBSERVER_ROLE } from './environment.js';

/** Cumulative server-side counts at one moment; the difference of two is what happened in between. */
export interface ServerCounters {
  /** Statements executed in the workload's database by anyone but the observer (pg_stat_statements). */
  statements: number | undefined;
  /** Transaction ids handed out so far: one per transaction that wrote anything, cluster-wide. */
  writeTransactions: number;
  /** Messages nats-server received (`in_msgs`) and sent (`out_msgs`), from `/varz`. */
  natsIn: number;
  natsOut: number;
}

/** What is needed to read {@link ServerCounters}. */
export interface CounterSources {
  /** A connection to the `postgres` database as the observer role. */
  admin: Sql;
  /** The workload's database name. */
  database: string;
  statementStats: boolean;
  natsMonitorUrl: string;
}

async function statementCount(sources: CounterSources): Promise<number | undefined> {
  if (!sources.statementStats) return undefined;
  const [row] = await sources.admin`
    SELECT coalesce(sum(calls), 0)::bigint AS calls
    FROM pg_stat_statements s
    WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = ${sources.database})
      AND s.userid <> (SELECT oid FROM pg_roles WHERE rolname = ${OBSERVER_ROLE})`;
  return Number(row?.calls);
}

async function writeTransactionCount(admin: Sql): Promise<number> {
  // The snapshot's xmax is the next xid to be assigned; reading it assigns none (read-only transactions
  // never take an xid), so the observer does not count itself.
  const [row] = await admin`SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next_xid`;
  return Number(row?.next_xid);
}

async function natsCounts(monitorUrl: string): Promise<{ in: number; out: number }> {
  const response = await fetch(`${monitorUrl}/varz`);
  if (!response.ok) throw new Error(`GET ${monitorUrl}/varz answered ${response.status}`);
  const varz = (await response.json()) as { in_msgs: number; out_msgs: number };
  return { in: varz.in_msgs, out: varz.out_msgs };
}

/** Reads every counter now. */
export async function readServerCounters(sources: CounterSources): Promise<ServerCounters> {
  const [statements, writeTransactions, nats] = await Promise.all([
    statementCount(sources),
    writeTransactionCount(sources.admin),
    natsCounts(sources.natsMonitorUrl),
  ]);
  return { statements, writeTransactions, natsIn: nats.in, natsOut: nats.out };
}
