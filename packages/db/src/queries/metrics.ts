import type { Sql } from 'postgres';

// What the leader's metrics read at scrape time. Every statement reads only through partial indexes or
// small tables, so a scrape costs about the number of tasks out and runs unfinished, never the history:
// - queued task instances: task_instances_active (run_id) WHERE state IN ('queued', 'running'), then the
//   attempt row by primary key;
// - unfinished runs: runs_queued and runs_running_by_dag, one arm each (finished runs are counted by the
//   run loop's counters instead: counting them here would scan the whole table);
// - workers: the registry holds only workers heard from within the retention (minutes), a few rows.

/** Task instances dispatched and not started yet, in one pool. */
export interface PoolQueue {
  pool: string;
  /** How many attempts are queued (dispatched, no worker started them yet). */
  depth: number;
  /** When the oldest of them was queued; null when the queue is empty. */
  oldestQueuedAt: Date | null;
}

/** How many runs of a DAG are in an unfinished state. */
export interface ActiveRunCount {
  dag: string;
  state: 'queued' | 'running';
  count: number;
}

/** Registered workers serving a pool, and how many of them are live. */
export interface PoolWorkers {
  pool: string;
  /** Workers that are not stopping and heartbeated at or after `liveSince`. */
  live: number;
}

/** What the cluster looks like now, as the gauges show it. */
export interface ClusterGauges {
  /** Every pool with queued attempts or a registered worker; an idle pool has depth 0. */
  queues: PoolQueue[];
  activeRuns: ActiveRunCount[];
  /** Every pool some registered worker serves; a pool whose workers all went quiet has live 0. */
  workers: PoolWorkers[];
}

/** Options of {@link readClusterGauges}. */
export interface ReadClusterGaugesOptions {
  /** A worker is live when its last heartbeat arrived at or after this (epoch ms) and it is not stopping. */
  liveSinceMs: number;
  /** Each statement is cancelled by the server after this long, so a scrape never hangs on a lock. */
  statementTimeoutMs: number;
}

/**
 * Reads queue depths, unfinished runs and live workers in one read-only transaction (the statements are
 * pipelined on its connection).
 * @throws the driver's error, e.g. SQLSTATE 57014 when a statement ran past `statementTimeoutMs`.
 */
export async function readClusterGauges(sql: Sql, options: ReadClusterGaugesOptions): Promise<ClusterGauges> {
  return sql.begin('read only', async (tx) => {
    const [, queues, activeRuns, workers] = await Promise.all([
      tx`SELECT set_config('statement_timeout', ${String(Math.max(1, Math.round(options.statementTimeoutMs)))}, true)`,
      tx<{ pool: string; depth: number; oldest: Date | null }[]>`
        SELECT t.pool, count(*)::int AS depth, min(a.queued_at) AS oldest
        FROM task_instances t
        LEFT JOIN task_attempts a ON a.run_id = t.run_id AND a.task_id = t.task_id AND a.attempt = t.attempt
        WHERE t.state = 'queued' AND t.map_count IS NULL
        GROUP BY t.pool`,
      tx<{ dag: string; state: 'queued' | 'running'; count: number }[]>`
        SELECT dag, 'running' AS state, count(*)::int AS count FROM runs WHERE state = 'running' GROUP BY dag
        UNION ALL
        SELECT dag, 'queued' AS state, count(*)::int AS count FROM runs WHERE state = 'queued' GROUP BY dag`,
      tx<{ pool: string; live: number }[]>`
        SELECT p.pool, count(*) FILTER (
                 WHERE NOT w.stopping AND w.last_heartbeat_at >= to_timestamp(${options.liveSinceMs} / 1000.0)
               )::int AS live
        FROM workers w CROSS JOIN LATERAL unnest(w.pools) AS p(pool)
        GROUP BY p.pool`,
    ]);
    const depths = new Map<string, PoolQueue>(
      queues.map((row) => [row.pool, { pool: row.pool, depth: row.depth, oldestQueuedAt: row.oldest }]),
    );
    for (const { pool } of workers) {
      if (!depths.has(pool)) depths.set(pool, { pool, depth: 0, oldestQueuedAt: null });
    }
    return {
      queues: [...depths.values()],
      activeRuns: activeRuns.map((row) => ({ dag: row.dag, state: row.state, count: row.count })),
      workers: workers.map((row) => ({ pool: row.pool, live: row.live })),
    };
  });
}
