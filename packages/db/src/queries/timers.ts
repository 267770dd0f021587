import type { Sql } from 'postgres';

/** Identifies one attempt of one task of one run. */
export interface AttemptKey {
  runId: string;
  taskId: string;
  attempt: number;
}

/** Tasks waiting to retry whose delay has passed at `now`; `attempt` is the attempt that failed. */
export async function dueRetries(sql: Sql, now: number, limit: number): Promise<AttemptKey[]> {
  return sql<AttemptKey[]>`
    SELECT run_id AS "runId", task_id AS "taskId", attempt FROM task_instances
    WHERE state = 'up_for_retry' AND retry_at <= to_timestamp(${now} / 1000.0)
    ORDER BY retry_at LIMIT ${limit}`;
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
