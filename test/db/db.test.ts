import { randomUUID } from 'node:crypto';
import {
  createDatabase,
  type Database,
  deleteOutbox,
  dueQueueDeadlines,
  dueRetries,
  finishRuns,
  getAttemptRows,
  getRunRow,
  getTaskInstanceRows,
  insertOutbox,
  insertRuns,
  insertTaskInstances,
  listRunRows,
  migrate,
  pendingOutbox,
  registerDagVersion,
  reopenRuns,
  SchemaTooNewError,
  staleHeldTasks,
  type TaskInstanceWrite,
  touchHeartbeats,
  updateTaskInstances,
  upsertAttempts,
} from '@tributary/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres, stopAll } from '../harness/index.js';

let pg: PostgresServer;
let db: Database;

beforeAll(async () => {
  pg = await startPostgres();
  db = createDatabase({ url: await pg.createDatabase('db_test') });
  await migrate(db.sql);
});

afterAll(async () => {
  await db?.close();
  await stopAll();
});

/** A running run of `taskCount` pending tasks `t0`, `t1`, ...; `heartbeatTimeoutsMs[i]` is t<i>'s own timeout. */
async function newRun(
  taskCount: number,
  heartbeatTimeoutsMs: readonly (number | null)[] = [],
): Promise<string> {
  const { version } = await registerDagVersion(db.sql, {
    dag: 'd',
    bundleHash: `h-${taskCount}`,
    model: { tasks: [] },
  });
  const id = randomUUID();
  await db.sql.begin(async (tx) => {
    await insertRuns(tx, [
      {
        id,
        dag: 'd',
        dagVersion: version.version,
        params: { p: 1 },
        requestId: null,
        createdAt: Date.now(),
        deadlineAt: null,
        state: 'running',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        traceParentSpanId: null,
        runType: 'manual',
        logicalDate: Date.now(),
        dataIntervalEnd: Date.now(),
      },
    ]);
    await insertTaskInstances(
      tx,
      Array.from({ length: taskCount }, (_, position) => ({
        runId: id,
        taskId: `t${position}`,
        position,
        pool: 'default',
        heartbeatTimeoutMs: heartbeatTimeoutsMs[position] ?? null,
      })),
    );
  });
  return id;
}

/** A task instance row as the run loop writes it: pending with nothing recorded, plus `fields`. */
function taskWrite(
  runId: string,
  taskId: string,
  fields: Partial<TaskInstanceWrite> = {},
): TaskInstanceWrite {
  return {
    runId,
    taskId,
    state: 'pending',
    attempt: 0,
    retryAt: null,
    output: null,
    error: null,
    workerId: null,
    startedAt: null,
    finishedAt: null,
    heartbeatAt: null,
    reschedules: 0,
    sensorStartedAt: null,
    attemptBase: 0,
    mapCount: null,
    queueDeadlineAt: null,
    ...fields,
  };
}

describe('the database layer', () => {
  it('applies migrations once and refuses a schema newer than it knows', async () => {
    expect(await migrate(db.sql)).toEqual([]);
    const other = createDatabase({ url: await pg.createDatabase('db_newer') });
    try {
      await migrate(other.sql);
      await other.sql`INSERT INTO tributary_migrations (number, name) VALUES (9999, '9999_future.sql')`;
      await expect(migrate(other.sql)).rejects.toBeInstanceOf(SchemaTooNewError);
      await expect(migrate(other.sql)).rejects.toThrow(/migration 9999, newer than this release knows/);
    } finally {
      await other.close();
    }
  });

  it('numbers DAG versions per DAG and returns the existing version for the same bundle', async () => {
    const first = await registerDagVersion(db.sql, { dag: 'versions', bundleHash: 'a', model: { n: 1 } });
    const second = await registerDagVersion(db.sql, { dag: 'versions', bundleHash: 'b', model: { n: 2 } });
    const again = await registerDagVersion(db.sql, { dag: 'versions', bundleHash: 'a', model: { n: 1 } });
    expect([first.version.version, second.version.version, again.version.version]).toEqual([1, 2, 1]);
    expect([first.created, second.created, again.created]).toEqual([true, true, false]);
    expect(again.version.model).toEqual({ n: 1 });
  });

  it('writes 20,000 task instances in one statement per kind, beyond the 65,535-parameter limit', async () => {
    const runId = await newRun(20_000);
    const now = Date.now();
    await db.sql.begin(async (tx) => {
      await updateTaskInstances(
        tx,
        Array.from({ length: 20_000 }, (_, i) =>
          taskWrite(runId, `t${i}`, {
            state: 'succeeded',
            attempt: 1,
            output: { i },
            workerId: 'w1',
            startedAt: now,
            finishedAt: now + 5,
          }),
        ),
      );
      await upsertAttempts(
        tx,
        Array.from({ length: 20_000 }, (_, i) => ({
          runId,
          taskId: `t${i}`,
          attempt: 1,
          state: 'succeeded',
          workerId: 'w1',
          queuedAt: now,
          startedAt: now,
          finishedAt: now + 5,
          error: null,
          logTail: ['done'],
        })),
      );
    });
    const rows = await getTaskInstanceRows(db, runId);
    expect(rows).toHaveLength(20_000);
    expect(rows.every((row) => row.state === 'succeeded')).toBe(true);
    expect(rows[12_345]).toMatchObject({ taskId: 't12345', output: { i: 12_345 }, workerId: 'w1' });
    expect(rows[0]!.finishedAt!.getTime() - rows[0]!.startedAt!.getTime()).toBe(5);
    expect((await getAttemptRows(db, runId)).length).toBe(20_000);
  });

  it('keeps what an attempt already recorded when a later write leaves a column null', async () => {
    const runId = await newRun(1);
    const now = Date.now();
    const base = { runId, taskId: 't0', attempt: 1, queuedAt: now, error: null };
    await db.sql.begin(async (tx) => {
      await upsertAttempts(tx, [
        { ...base, state: 'running', workerId: 'w9', startedAt: now, finishedAt: null, logTail: null },
      ]);
    });
    await db.sql.begin(async (tx) => {
      await upsertAttempts(tx, [
        { ...base, state: 'lost', workerId: null, startedAt: null, finishedAt: now + 1, logTail: null },
      ]);
    });
    const [attempt] = await getAttemptRows(db, runId);
    expect(attempt).toMatchObject({ state: 'lost', workerId: 'w9' });
    expect(attempt!.startedAt!.getTime()).toBe(now);
  });

  it('finds due retries and tasks whose heartbeat is stale, and heartbeats refresh only current attempts', async () => {
    const runId = await newRun(3);
    const now = Date.now();
    const row = (
      taskId: string,
      state: string,
      attempt: number,
      extra: { retryAt?: number; heartbeatAt?: number },
    ) =>
      taskWrite(runId, taskId, {
        state,
        attempt,
        retryAt: extra.retryAt ?? null,
        workerId: 'w1',
        startedAt: now,
        heartbeatAt: extra.heartbeatAt ?? null,
      });
    await db.sql.begin(async (tx) => {
      await updateTaskInstances(tx, [
        row('t0', 'up_for_retry', 1, { retryAt: now - 1_000 }),
        row('t1', 'running', 2, { heartbeatAt: now - 60_000 }),
        row('t2', 'running', 1, { heartbeatAt: now - 60_000 }),
      ]);
    });
    expect((await dueRetries(db.sql, now, 10)).filter((k) => k.runId === runId)).toEqual([
      { runId, taskId: 't0', attempt: 1 },
    ]);
    // A heartbeat for t1's older attempt changes nothing; one for t2's current attempt refreshes it.
    await touchHeartbeats(
      db.sql,
      [
        { runId, taskId: 't1', attempt: 1 },
        { runId, taskId: 't2', attempt: 1 },
      ],
      now,
    );
    const stale = (await staleHeldTasks(db.sql, now, 30_000, 10)).filter((k) => k.runId === runId);
    expect(stale.map((k) => k.taskId)).toEqual(['t1']);
  });

  it("judges a running task stale by its own heartbeat_timeout, else by the coordinator's", async () => {
    // t0 may go 5s without a heartbeat, t1 and t2 take the coordinator's 30s; t3 has 60s of its own.
    const runId = await newRun(4, [5_000, null, null, 60_000]);
    const now = Date.now();
    const running = (taskId: string, heartbeatAgeMs: number) =>
      taskWrite(runId, taskId, {
        state: 'running',
        attempt: 1,
        workerId: 'w1',
        heartbeatAt: now - heartbeatAgeMs,
      });
    await db.sql.begin((tx) =>
      updateTaskInstances(tx, [
        running('t0', 10_000),
        running('t1', 10_000),
        running('t2', 40_000),
        running('t3', 40_000),
      ]),
    );
    const stale = (await staleHeldTasks(db.sql, now, 30_000, 10)).filter((k) => k.runId === runId);
    expect(stale.map((k) => [k.taskId, k.heartbeatTimeoutMs]).sort()).toEqual([
      ['t0', 5_000],
      ['t2', 30_000],
    ]);
    expect((await getTaskInstanceRows(db, runId)).map((t) => t.heartbeatTimeoutMs)).toEqual([
      5_000,
      null,
      null,
      60_000,
    ]);
  });

  it('finds queued attempts past their queue deadline, and no deadline once the task left the queue', async () => {
    const runId = await newRun(3);
    const now = Date.now();
    const queued = (taskId: string, queueDeadlineAt: number) =>
      taskWrite(runId, taskId, { state: 'queued', attempt: 1, queueDeadlineAt });
    await db.sql.begin((tx) =>
      updateTaskInstances(tx, [
        queued('t0', now - 1_000),
        queued('t1', now + 60_000),
        queued('t2', now - 2_000),
      ]),
    );
    const due = (await dueQueueDeadlines(db.sql, now, 10)).filter((k) => k.runId === runId);
    expect(due).toEqual([
      { runId, taskId: 't2', attempt: 1 },
      { runId, taskId: 't0', attempt: 1 },
    ]);
    // The run loop writes a started task with no deadline.
    await db.sql.begin((tx) =>
      updateTaskInstances(tx, [taskWrite(runId, 't2', { state: 'running', attempt: 1, heartbeatAt: now })]),
    );
    expect((await dueQueueDeadlines(db.sql, now, 10)).filter((k) => k.runId === runId)).toEqual([
      { runId, taskId: 't0', attempt: 1 },
    ]);
    const rows = await getTaskInstanceRows(db, runId);
    expect(rows.map((t) => t.queueDeadlineAt?.getTime() ?? null)).toEqual([now - 1_000, now + 60_000, null]);
  });

  it('writes a cleared task back to pending with its attempt base, and reopens a finished run', async () => {
    const runId = await newRun(1);
    const now = Date.now();
    await db.sql.begin(async (tx) => {
      await finishRuns(tx, [{ id: runId, state: 'failed', finishedAt: now }]);
    });
    expect(await getRunRow(db, runId)).toMatchObject({ state: 'failed', deadlineAt: null });
    await db.sql.begin(async (tx) => {
      await updateTaskInstances(tx, [taskWrite(runId, 't0', { attempt: 3, attemptBase: 3 })]);
      await reopenRuns(tx, [{ id: runId, deadlineAt: now + 60_000 }]);
    });
    const [task] = await getTaskInstanceRows(db, runId);
    expect(task).toMatchObject({ state: 'pending', attempt: 3, attemptBase: 3 });
    const reopened = await getRunRow(db, runId);
    expect(reopened).toMatchObject({ state: 'running', finishedAt: null });
    expect(reopened!.deadlineAt!.getTime()).toBe(now + 60_000);
    // A DAG without a dagrun_timeout has no deadline after a reopening either.
    await db.sql.begin((tx) => reopenRuns(tx, [{ id: runId, deadlineAt: null }]));
    expect((await getRunRow(db, runId))!.deadlineAt).toBeNull();
  });

  it("lists a mapped task's instances after it by index, and inserts the ones a run has only once", async () => {
    const runId = await newRun(2);
    const instances = (count: number) =>
      Array.from({ length: count }, (_, mapIndex) => ({
        runId,
        taskId: `t0[${mapIndex}]`,
        position: 0,
        pool: 'default',
        mapIndex,
      }));
    await db.sql.begin((tx) => insertTaskInstances(tx, instances(11)));
    await db.sql.begin(async (tx) => {
      await updateTaskInstances(tx, [
        taskWrite(runId, 't0[10]', { state: 'succeeded', attempt: 1, output: 10 }),
      ]);
    });
    // Fanning out again after a clear, over a longer list: the existing rows stay as they are.
    await db.sql.begin((tx) => insertTaskInstances(tx, instances(12)));
    const rows = await getTaskInstanceRows(db, runId);
    expect(rows.map((row) => row.taskId)).toEqual([
      't0',
      ...Array.from({ length: 12 }, (_, i) => `t0[${i}]`),
      't1',
    ]);
    expect(rows.find((row) => row.taskId === 't0[10]')).toMatchObject({
      state: 'succeeded',
      output: 10,
      mapIndex: 10,
    });
  });

  it('round-trips outbox payload bytes and deletes published rows', async () => {
    const payload = new Uint8Array([0, 1, 2, 250, 255]);
    const ids = await db.sql.begin((tx) =>
      insertOutbox(tx, [
        {
          msgId: 'r.t.1',
          pool: 'default',
          payload,
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
      ]),
    );
    const pending = await pendingOutbox(db.sql, 0, 10);
    expect(pending.find((row) => row.id === ids[0])).toMatchObject({ msgId: 'r.t.1', payload });
    await deleteOutbox(db.sql, ids);
    expect((await pendingOutbox(db.sql, 0, 10)).find((row) => row.id === ids[0])).toBeUndefined();
  });

  it('lists runs newest first from a keyset cursor', async () => {
    const ids = [await newRun(1), await newRun(1), await newRun(1)];
    const all = await listRunRows(db, { dag: 'd', limit: 100 });
    const firstTwo = all.slice(0, 2);
    const rest = await listRunRows(db, {
      dag: 'd',
      limit: 100,
      after: { createdAt: firstTwo[1]!.createdAt, id: firstTwo[1]!.id },
    });
    expect([...firstTwo, ...rest].map((r) => r.id)).toEqual(all.map((r) => r.id));
    expect(all.map((r) => r.id)).toEqual(expect.arrayContaining(ids));
  });
});
