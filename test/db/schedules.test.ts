import { randomUUID } from 'node:crypto';
import type { RunType } from '@tributary/core';
import {
  createDatabase,
  type Database,
  findRunsByLogicalDates,
  insertRuns,
  loadScheduledDags,
  migrate,
  registerDagVersion,
  setDagPaused,
  writeScheduleStates,
} from '@tributary/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres, stopAll } from '../harness/index.js';

let pg: PostgresServer;
let db: Database;
let other: Database;

const LOGICAL_DATE = Date.UTC(2026, 2, 1);
const SCHEDULE = {
  cron: '@daily',
  timezone: 'UTC',
  startDate: null,
  endDate: null,
  catchup: true,
  overlap: 'buffer_all',
};

beforeAll(async () => {
  pg = await startPostgres();
  const url = await pg.createDatabase('schedules_test');
  db = createDatabase({ url });
  other = createDatabase({ url });
  await migrate(db.sql);
  await registerDagVersion(db.sql, { dag: 'd', bundleHash: 'h1', model: { tasks: [], schedule: SCHEDULE } });
});

afterAll(async () => {
  await Promise.all([db?.close(), other?.close()]);
  await stopAll();
});

/** Inserts one run of dag `d` for the logical date, in a transaction of `on`. */
function insertRun(on: Database, runType: RunType, logicalDate = LOGICAL_DATE): Promise<void> {
  return on.sql.begin(async (tx) => {
    await insertRuns(tx, [
      {
        id: randomUUID(),
        dag: 'd',
        dagVersion: 1,
        params: {},
        requestId: null,
        createdAt: Date.now(),
        deadlineAt: null,
        state: 'running',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        traceParentSpanId: null,
        runType,
        logicalDate,
        dataIntervalEnd: logicalDate + 86_400_000,
      },
    ]);
  });
}

describe('one run per DAG and logical date', () => {
  it('lets only one of two racing transactions create the scheduled run of an interval', async () => {
    const outcomes = await Promise.allSettled([insertRun(db, 'scheduled'), insertRun(other, 'scheduled')]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    expect(String(rejected.reason)).toMatch(/runs_one_per_logical_date/);
    expect(await findRunsByLogicalDates(db, [{ dag: 'd', logicalDate: LOGICAL_DATE }])).toHaveLength(1);
  });

  it('counts a backfill run as the run of its interval, and leaves manual runs out of the key', async () => {
    await expect(insertRun(db, 'backfill')).rejects.toThrow(/runs_one_per_logical_date/);
    await insertRun(db, 'manual');
    await insertRun(db, 'manual');
    const found = await findRunsByLogicalDates(db, [{ dag: 'd', logicalDate: LOGICAL_DATE }]);
    expect(found.map((row) => row.runType)).toEqual(['scheduled']);
  });
});

describe('scheduler state', () => {
  it('gives a DAG its state row when first seen, and keeps cursor, skips and the paused flag', async () => {
    const [first] = await loadScheduledDags(db.sql);
    expect(first).toMatchObject({ dag: 'd', version: 1, paused: false, cursor: null, buffered: null });
    await db.sql.begin((tx) =>
      writeScheduleStates(tx, [{ dag: 'd', cursor: LOGICAL_DATE, buffered: null, skipped: 2 }]),
    );
    await db.sql.begin((tx) =>
      writeScheduleStates(tx, [
        { dag: 'd', cursor: LOGICAL_DATE + 1, buffered: LOGICAL_DATE + 2, skipped: 3 },
      ]),
    );
    expect(await setDagPaused(db.sql, 'd', true)).toBe(true);
    expect(await setDagPaused(db.sql, 'missing', true)).toBe(false);
    const [again] = await loadScheduledDags(db.sql);
    expect(again).toMatchObject({
      paused: true,
      cursor: LOGICAL_DATE + 1,
      buffered: LOGICAL_DATE + 2,
      firstSeenAt: first!.firstSeenAt,
    });
    const [row] = await db.sql<{ skipped: string }[]>`SELECT skipped FROM dag_schedules WHERE dag = 'd'`;
    expect(Number(row?.skipped)).toBe(5);
  });

  it('lists only DAGs whose latest version has a schedule', async () => {
    await registerDagVersion(db.sql, { dag: 'd', bundleHash: 'h2', model: { tasks: [] } });
    expect(await loadScheduledDags(db.sql)).toEqual([]);
  });
});
