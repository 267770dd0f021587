import type { Sql } from 'postgres';

/** Identifies one attempt of one task of one run. */
export interface AttemptKey {
  runId: string;
  taskId: string;
  attempt: number;
}

/**
 * Tasks waiting to retry or to be poked again (reschedule-mode sensors) whose time has come at `now`;
 * `attempt` is the attempt that ended.
 */
export async function dueRetries(sql: Sql, now: number, limit: number): Promise<AttemptKey[]> {
  return sql<AttemptKey[]>`
    SELECT run_id AS "runId", task_id AS "taskId", attempt FROM task_instances
    WHERE state IN ('up_for_retry', 'up_for_reschedule') AND retry_at <= to_timestamp(${now} / 1000.0)
    ORDER BY retry_at LIMIT ${limit}`;
}

/** Running runs whose `dagrun_timeout` deadline has passed at `now`. */
export async function dueRunDeadlines(sql: Sql, now: number, limit: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    SELECT id FROM runs
    WHERE state = 'running' AND deadline_at IS NOT NULL AND deadline_at <= to_timestamp(${now} / 1000.0)
    ORDER BY deadline_at LIMIT ${limit}`;
  return rows.map((row) => row.id);
}

/** Running tasks whose last heartbeat is older than `cutoff` (epoch ms): their worker is presumed dead. */
export async function staleRunningTasks(
  sql: Sql,
  cutoff: number,
  limit: number,
): Promise<(AttemptKey & { workerId: string | null })[]> {
  return sql<(AttemptKey & { workerId: string | null })[]>`
    SELECT run_id AS "runId", task_id AS "taskId", attempt, worker_id AS "workerId" FROM task_instances
    WHERE state = 'running' AND heartbeat_at < to_timestamp(${cutoff} / 1000.0)
    ORDER BY heartbeat_at LIMIT ${limit}`;
}

/** Records a heartbeat for running attempts; attempts that are no longer current are left alone. */
export async function touchHeartbeats(sql: Sql, attempts: readonly AttemptKey[], now: number): Promise<void> {
  if (attempts.length === 0) return;
  await sql`
    UPDATE task_instances t SET heartbeat_at = to_timestamp(${now} / 1000.0)
    FROM unnest(${sql.array(attempts.map((a) => a.runId))}::uuid[], ${sql.array(attempts.map((a) => a.taskId))}::text[],
                ${sql.array(attempts.map((a) => a.attempt))}::int[]) AS v(run_id, task_id, attempt)
    WHERE t.run_id = v.run_id AND t.task_id = v.task_id AND t.attempt = v.attempt AND t.state = 'running'`;
}
