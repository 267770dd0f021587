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

/** A running task whose worker went silent, and the heartbeat timeout it went past (ms). */
export interface StaleTask extends AttemptKey {
  workerId: string | null;
  heartbeatTimeoutMs: number;
}

/**
 * Tasks out (running, or queued and already received by a worker) whose last heartbeat is older at
 * `now` (epoch ms) than their heartbeat timeout: their worker is presumed dead. A task's own
 * `heartbeat_timeout_ms` counts; without one, `defaultTimeoutMs` (the coordinator's). The timeout
 * differs per row, so this reads every heartbeated row (through the partial index
 * `task_instances_heartbeats`): there are only as many as the workers hold at once. Only heartbeats
 * older than `heartbeatBefore` count: the caller passes a time before which every worker event has
 * been applied, so that a task whose `finished` event still waits in a backlog is not taken for lost.
 */
export async function staleHeldTasks(
  sql: Sql,
  now: number,
  defaultTimeoutMs: number,
  limit: number,
  heartbeatBefore = now,
): Promise<StaleTask[]> {
  return sql<StaleTask[]>`
    SELECT run_id AS "runId", task_id AS "taskId", attempt, worker_id AS "workerId",
           coalesce(heartbeat_timeout_ms, ${defaultTimeoutMs}::int) AS "heartbeatTimeoutMs"
    FROM task_instances
    WHERE state IN ('queued', 'running') AND heartbeat_at IS NOT NULL
      AND heartbeat_at < to_timestamp(${heartbeatBefore} / 1000.0)
      AND heartbeat_at < to_timestamp(${now} / 1000.0)
                         - make_interval(secs => coalesce(heartbeat_timeout_ms, ${defaultTimeoutMs}::int) / 1000.0)
    ORDER BY heartbeat_at LIMIT ${limit}`;
}

/**
 * Dispatched attempts still `queued` whose `queue_timeout` deadline has passed at `now`: no worker of
 * their pool started them in time.
 */
export async function dueQueueDeadlines(sql: Sql, now: number, limit: number): Promise<AttemptKey[]> {
  return sql<AttemptKey[]>`
    SELECT run_id AS "runId", task_id AS "taskId", attempt FROM task_instances
    WHERE state = 'queued' AND queue_deadline_at IS NOT NULL AND queue_deadline_at <= to_timestamp(${now} / 1000.0)
    ORDER BY queue_deadline_at LIMIT ${limit}`;
}

/**
 * Of the attempts workers say they hold, those already decided without them: the task has moved on to
 * a later attempt, or this attempt ended (declared lost, the run cancelled, or another copy's result
 * applied, after a redelivery) while the worker went on. Their workers are told to abandon them. Most
 * are attempts whose own result was just applied (a worker lists an attempt until its result is
 * stored); abandoning a finished attempt does nothing. An attempt still `queued` or `running` is not
 * decided: its events may simply not have been applied yet.
 */
export async function supersededAttempts(sql: Sql, attempts: readonly AttemptKey[]): Promise<AttemptKey[]> {
  if (attempts.length === 0) return [];
  return sql<AttemptKey[]>`
    SELECT v.run_id AS "runId", v.task_id AS "taskId", v.attempt
    FROM unnest(${sql.array(attempts.map((a) => a.runId))}::uuid[], ${sql.array(attempts.map((a) => a.taskId))}::text[],
                ${sql.array(attempts.map((a) => a.attempt))}::int[]) AS v(run_id, task_id, attempt)
    JOIN task_instances t ON t.run_id = v.run_id AND t.task_id = v.task_id
    WHERE t.attempt > v.attempt OR (t.attempt = v.attempt AND t.state NOT IN ('queued', 'running'))`;
}

/**
 * Records a heartbeat for the attempts workers hold, running or received and not yet started (a queued
 * task whose `started` event is still on its way): a worker that dies holding either loses it, and the
 * lost-task sweep finds both. Attempts that are no longer current are left alone. Rows
 * the run loop holds locked are skipped rather than waited for: the two would otherwise lock rows in
 * different orders and deadlock, and a heartbeat missed now is written at the next interval.
 */
export async function touchHeartbeats(sql: Sql, attempts: readonly AttemptKey[], now: number): Promise<void> {
  if (attempts.length === 0) return;
  await sql`
    UPDATE task_instances t SET heartbeat_at = to_timestamp(${now} / 1000.0)
    FROM (
      SELECT ti.run_id, ti.task_id FROM task_instances ti
      JOIN unnest(${sql.array(attempts.map((a) => a.runId))}::uuid[], ${sql.array(attempts.map((a) => a.taskId))}::text[],
                  ${sql.array(attempts.map((a) => a.attempt))}::int[]) AS v(run_id, task_id, attempt)
        ON ti.run_id = v.run_id AND ti.task_id = v.task_id AND ti.attempt = v.attempt
      WHERE ti.state IN ('queued', 'running')
      FOR UPDATE OF ti SKIP LOCKED
    ) AS current
    WHERE t.run_id = current.run_id AND t.task_id = current.task_id`;
}

/**
 * Dispatched attempts whose task message was lost with the broker's data: still `queued`, no worker ever
 * reported holding them, published (no outbox row left) before the current task stream was created
 * (`streamCreatedAt`, epoch ms). Their message can only have gone to an earlier incarnation of the
 * stream, which is gone.
 */
export async function lostTaskMessages(
  sql: Sql,
  streamCreatedAt: number,
  limit: number,
): Promise<AttemptKey[]> {
  return sql<AttemptKey[]>`
    SELECT t.run_id AS "runId", t.task_id AS "taskId", t.attempt FROM task_instances t
    JOIN task_attempts a ON a.run_id = t.run_id AND a.task_id = t.task_id AND a.attempt = t.attempt
    WHERE t.state = 'queued' AND t.heartbeat_at IS NULL
      AND a.queued_at < to_timestamp(${streamCreatedAt} / 1000.0)
      -- The outbox row's msg_id is the message's de-duplication id (bus taskMessageId).
      AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.msg_id = t.run_id || '.' || t.task_id || '.' || t.attempt)
    ORDER BY a.queued_at LIMIT ${limit}`;
}
