import type { Sql } from 'postgres';

// A DAG's `max_active_tasks` holds across its runs: the run loop counts the DAG's task instances that
// are out (queued or running) once per tick and keeps the count itself through the tick (it is the
// only writer of task states). A fanned-out mapped task (map_count set) is not out: its instances are.

/** How many task instances of each of these DAGs are queued or running now, over all their runs. */
export async function countActiveTasks(sql: Sql, dags: readonly string[]): Promise<Map<string, number>> {
  if (dags.length === 0) return new Map();
  const rows = await sql<{ dag: string; n: number }[]>`
    SELECT r.dag, count(*)::int AS n
    FROM runs r JOIN task_instances t ON t.run_id = r.id
    WHERE r.state = 'running' AND r.dag = ANY(${sql.array([...dags])})
      AND t.state IN ('queued', 'running') AND t.map_count IS NULL
    GROUP BY r.dag`;
  return new Map(rows.map((row) => [row.dag, row.n]));
}

/**
 * Running runs that may hold task instances back for their DAG's `max_active_tasks` (they have pending
 * or retrying tasks) while the DAG has free slots, oldest first. After a coordinator restart nothing
 * else would wake them: the run loop delivers `slots_freed` to them, which dispatches what is ready.
 */
export async function runsWaitingForTaskSlots(sql: Sql, limit: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    WITH limited AS (
      SELECT r.id, r.dag, r.created_at, (v.model->>'maxActiveTasks')::int AS max_tasks
      FROM runs r JOIN dag_versions v ON v.dag = r.dag AND v.version = r.dag_version
      WHERE r.state = 'running' AND v.model->>'maxActiveTasks' IS NOT NULL
    ), active AS (
      SELECT r.dag, count(*)::int AS n
      FROM runs r JOIN task_instances t ON t.run_id = r.id
      WHERE r.state = 'running' AND r.dag IN (SELECT dag FROM limited)
        AND t.state IN ('queued', 'running') AND t.map_count IS NULL
      GROUP BY r.dag
    )
    SELECT l.id FROM limited l LEFT JOIN active a ON a.dag = l.dag
    WHERE coalesce(a.n, 0) < l.max_tasks
      AND EXISTS (SELECT 1 FROM task_instances t WHERE t.run_id = l.id AND t.state IN ('pending', 'up_for_retry', 'up_for_reschedule'))
    ORDER BY l.created_at LIMIT ${limit}`;
  return rows.map((row) => row.id);
}

/**
 * Running runs with pending tasks and nothing out (no task queued, running or waiting for a retry or a
 * poke; a fanned-out mapped task does not count, its instances do). Such a run has ready tasks it held
 * back (a tick's dispatch budget ran out, and the coordinator restarted or lost the lead before the next
 * tick), and nothing else will touch it: the run loop delivers `slots_freed`, which dispatches them.
 */
export async function runsWithNothingOut(sql: Sql, limit: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    SELECT r.id FROM runs r
    WHERE r.state = 'running'
      AND EXISTS (SELECT 1 FROM task_instances t WHERE t.run_id = r.id AND t.state = 'pending')
      AND NOT EXISTS (
        SELECT 1 FROM task_instances t
        WHERE t.run_id = r.id AND t.map_count IS NULL
          AND t.state IN ('queued', 'running', 'up_for_retry', 'up_for_reschedule'))
    ORDER BY r.created_at LIMIT ${limit}`;
  return rows.map((row) => row.id);
}
