import type postgres from 'postgres';
import type { HopLatency } from './measure.js';
import { quantile } from './stats.js';

/** When one chain task was queued, started and finished (epoch ms); queued only for distributed runs. */
export interface TaskTimes {
  queued?: number;
  started: number;
  finished: number;
}

/**
 * Hop latencies of a chain `c0 … c<n-1>`: for each successor, its start minus its predecessor's finish,
 * and (when queue times are known) the split at the moment the coordinator queued it.
 * @throws Error naming the task whose times are missing.
 */
export function chainHops(times: ReadonlyMap<string, TaskTimes>, n: number, seconds: number): HopLatency {
  const hops: number[] = [];
  const toQueued: number[] = [];
  const toStarted: number[] = [];
  const running: number[] = [];
  for (let i = 1; i < n; i++) {
    const previous = times.get(`c${i - 1}`);
    const next = times.get(`c${i}`);
    if (previous === undefined || next === undefined)
      throw new Error(`no times recorded for c${i - 1} or c${i}`);
    hops.push(next.started - previous.finished);
    running.push(next.finished - next.started);
    if (next.queued !== undefined) {
      toQueued.push(next.queued - previous.finished);
      toStarted.push(next.started - next.queued);
    }
  }
  const latency: HopLatency = {
    perHopMs: (seconds * 1000) / n,
    medianMs: quantile(hops, 0.5),
    p99Ms: quantile(hops, 0.99),
    taskMedianMs: quantile(running, 0.5),
  };
  if (toQueued.length > 0) {
    latency.toQueuedMedianMs = quantile(toQueued, 0.5);
    latency.toStartedMedianMs = quantile(toStarted, 0.5);
  }
  return latency;
}

/** Each task's latest attempt's times in the runs of `dag`, as the coordinator recorded them. */
export async function attemptTimes(sql: postgres.Sql, dag: string): Promise<Map<string, TaskTimes>> {
  const rows = await sql`
    SELECT task_id,
           (extract(epoch FROM queued_at) * 1000)::float8 AS queued,
           (extract(epoch FROM started_at) * 1000)::float8 AS started,
           (extract(epoch FROM finished_at) * 1000)::float8 AS finished
    FROM task_attempts WHERE run_id IN (SELECT id FROM runs WHERE dag = ${dag})
    ORDER BY attempt`;
  return new Map(
    rows.map((row) => [
      row.task_id as string,
      { queued: row.queued as number, started: row.started as number, finished: row.finished as number },
    ]),
  );
}
