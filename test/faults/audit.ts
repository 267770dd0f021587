import postgres from 'postgres';

/** What the database says of a finished fault scenario's run. */
export interface RunAudit {
  runState: string;
  tasks: number;
  attempts: number;
  /** Attempts beyond one per task, by how they ended (`lost`, `failed`, ...). */
  extraAttempts: Record<string, number>;
  /** Run duration, created to finished, in ms. */
  durationMs: number;
  /** Every broken guarantee, one line each; empty when the run is sound. */
  violations: string[];
}

interface TaskRow {
  taskId: string;
  state: string;
  attempt: number;
  output: { attempt?: number } | null;
  pool: string;
}

interface AttemptRow {
  taskId: string;
  attempt: number;
  state: string;
  workerId: string | null;
  error: unknown;
}

/** How attempts other than the successful one may end: each one explains why another was needed. */
const EXPLAINED = new Set(['lost', 'failed', 'timed_out', 'cancelled']);

/**
 * Reads a run's task instances and attempts from Postgres and checks the suite's guarantees: every
 * task instance terminal and succeeded (`taskCount` of them: none lost); per task exactly one
 * successful attempt, the task's current one, whose output came from that very attempt (a stale
 * attempt's result never recorded); every other attempt ended and explained.
 */
export async function auditRun(databaseUrl: string, runId: string, taskCount: number): Promise<RunAudit> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [run] = await sql<{ state: string; durationMs: number | null }[]>`
      SELECT state, (extract(epoch FROM finished_at - created_at) * 1000)::float8 AS "durationMs"
      FROM runs WHERE id = ${runId}`;
    const tasks = await sql<TaskRow[]>`
      SELECT task_id AS "taskId", state, attempt, output, pool FROM task_instances WHERE run_id = ${runId}`;
    const attempts = await sql<AttemptRow[]>`
      SELECT task_id AS "taskId", attempt, state, worker_id AS "workerId", error
      FROM task_attempts WHERE run_id = ${runId} ORDER BY task_id, attempt`;
    const violations: string[] = [];
    if (run === undefined) return { ...empty(), violations: [`run ${runId} does not exist`] };
    if (tasks.length !== taskCount) violations.push(`${tasks.length} task instances, expected ${taskCount}`);
    const byTask = new Map<string, AttemptRow[]>();
    for (const attempt of attempts)
      byTask.set(attempt.taskId, [...(byTask.get(attempt.taskId) ?? []), attempt]);
    const extraAttempts: Record<string, number> = {};
    for (const task of tasks) {
      violations.push(...auditTask(task, byTask.get(task.taskId) ?? []));
      for (const attempt of byTask.get(task.taskId) ?? []) {
        if (attempt.state !== 'succeeded')
          extraAttempts[attempt.state] = (extraAttempts[attempt.state] ?? 0) + 1;
      }
    }
    return {
      runState: run.state,
      tasks: tasks.length,
      attempts: attempts.length,
      extraAttempts,
      durationMs: run.durationMs ?? Number.NaN,
      violations,
    };
  } finally {
    await sql.end();
  }
}

function auditTask(task: TaskRow, attempts: readonly AttemptRow[]): string[] {
  const what = `task ${task.taskId}`;
  if (task.state !== 'succeeded') return [`${what} ended ${task.state}`];
  const violations: string[] = [];
  const succeeded = attempts.filter((a) => a.state === 'succeeded');
  if (succeeded.length !== 1) {
    violations.push(
      `${what} has ${succeeded.length} successful attempts (${succeeded.map((a) => a.attempt).join(', ')})`,
    );
  } else if (succeeded[0]!.attempt !== task.attempt) {
    violations.push(`${what} is at attempt ${task.attempt} but attempt ${succeeded[0]!.attempt} succeeded`);
  }
  if (task.output?.attempt !== task.attempt) {
    violations.push(
      `${what}: attempt ${task.attempt} recorded the output of attempt ${task.output?.attempt}`,
    );
  }
  for (const attempt of attempts) {
    if (attempt.state === 'succeeded') continue;
    if (!EXPLAINED.has(attempt.state))
      violations.push(`${what} attempt ${attempt.attempt} was left ${attempt.state}`);
    else if (attempt.error === null)
      violations.push(`${what} attempt ${attempt.attempt} ended ${attempt.state} with no error`);
  }
  return violations;
}

function empty(): Omit<RunAudit, 'violations'> {
  return { runState: 'missing', tasks: 0, attempts: 0, extraAttempts: {}, durationMs: Number.NaN };
}

/** Each attempt's worker, for the pool check: task id, attempt, worker, and the task's pool. */
export async function attemptWorkers(
  databaseUrl: string,
  runId: string,
): Promise<{ taskId: string; attempt: number; workerId: string | null; pool: string }[]> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    return await sql`
      SELECT a.task_id AS "taskId", a.attempt, a.worker_id AS "workerId", t.pool
      FROM task_attempts a JOIN task_instances t ON t.run_id = a.run_id AND t.task_id = a.task_id
      WHERE a.run_id = ${runId}`;
  } finally {
    await sql.end();
  }
}
