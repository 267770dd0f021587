import { and, asc, desc, eq, getTableColumns, inArray, lt, or, sql as sqlTag } from 'drizzle-orm';
import type { Database } from '../connect.js';
import { runs, taskAttempts, taskInstances } from '../schema.js';

// Reads for the API go through drizzle: typed rows straight from the schema. The run loop's batched
// writes are plain postgres.js (tick-writes.ts).

export type RunRow = typeof runs.$inferSelect;
export type TaskInstanceRow = Omit<typeof taskInstances.$inferSelect, 'heartbeatAt'>;
export type AttemptRow = typeof taskAttempts.$inferSelect;

export async function getRunRow(db: Database, runId: string): Promise<RunRow | null> {
  const rows = await db.orm.select().from(runs).where(eq(runs.id, runId));
  return rows[0] ?? null;
}

/** Runs created with any of these request ids. */
export async function findRunsByRequestIds(db: Database, requestIds: readonly string[]): Promise<RunRow[]> {
  if (requestIds.length === 0) return [];
  return db.orm
    .select()
    .from(runs)
    .where(inArray(runs.requestId, [...requestIds]));
}

/** A run's task instances in declaration order, each mapped task's instances after it, by index. */
export async function getTaskInstanceRows(db: Database, runId: string): Promise<TaskInstanceRow[]> {
  const { heartbeatAt: _, ...columns } = getTableColumns(taskInstances);
  return db.orm
    .select(columns)
    .from(taskInstances)
    .where(eq(taskInstances.runId, runId))
    .orderBy(asc(taskInstances.position), sqlTag`${taskInstances.mapIndex} NULLS FIRST`);
}

/** Every attempt of a run's tasks, oldest first per task. */
export async function getAttemptRows(db: Database, runId: string): Promise<AttemptRow[]> {
  return db.orm
    .select()
    .from(taskAttempts)
    .where(eq(taskAttempts.runId, runId))
    .orderBy(asc(taskAttempts.taskId), asc(taskAttempts.attempt));
}

/** Where a page of runs ends: the next page starts strictly after it. */
export interface RunCursor {
  createdAt: Date;
  id: string;
}

/** Runs newest first, optionally of one DAG, starting after `after`. */
export async function listRunRows(
  db: Database,
  options: { dag?: string; limit: number; after?: RunCursor },
): Promise<RunRow[]> {
  const { after } = options;
  return db.orm
    .select()
    .from(runs)
    .where(
      and(
        options.dag ? eq(runs.dag, options.dag) : undefined,
        after
          ? or(
              lt(runs.createdAt, after.createdAt),
              and(eq(runs.createdAt, after.createdAt), lt(runs.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(options.limit);
}

/** Counts of task instances per state, per run. */
export async function countTaskStates(
  db: Database,
  runIds: readonly string[],
): Promise<Map<string, Record<string, number>>> {
  const counts = new Map<string, Record<string, number>>();
  if (runIds.length === 0) return counts;
  const rows = await db.orm
    .select({ runId: taskInstances.runId, state: taskInstances.state, count: sqlTag<number>`count(*)::int` })
    .from(taskInstances)
    .where(inArray(taskInstances.runId, [...runIds]))
    .groupBy(taskInstances.runId, taskInstances.state);
  for (const row of rows) {
    const perRun = counts.get(row.runId) ?? {};
    perRun[row.state] = row.count;
    counts.set(row.runId, perRun);
  }
  return counts;
}

/**
 * The attempt numbers a task of a run has had, in order (empty before its first dispatch), or null when
 * the run has no such task.
 */
export async function getTaskAttemptNumbers(
  db: Database,
  runId: string,
  taskId: string,
): Promise<number[] | null> {
  const [task] = await db.orm
    .select({ attempt: taskInstances.attempt })
    .from(taskInstances)
    .where(and(eq(taskInstances.runId, runId), eq(taskInstances.taskId, taskId)));
  if (task === undefined) return null;
  const attempts = await db.orm
    .select({ attempt: taskAttempts.attempt })
    .from(taskAttempts)
    .where(and(eq(taskAttempts.runId, runId), eq(taskAttempts.taskId, taskId)))
    .orderBy(asc(taskAttempts.attempt));
  return attempts.map((row) => row.attempt);
}

/** The state of one attempt, or null when there is no such attempt. */
export async function getAttemptState(
  db: Database,
  ref: { runId: string; taskId: string; attempt: number },
): Promise<string | null> {
  const [row] = await db.orm
    .select({ state: taskAttempts.state })
    .from(taskAttempts)
    .where(
      and(
        eq(taskAttempts.runId, ref.runId),
        eq(taskAttempts.taskId, ref.taskId),
        eq(taskAttempts.attempt, ref.attempt),
      ),
    );
  return row?.state ?? null;
}
