import {
  createDatabase,
  type Database,
  deleteExpiredWorkers,
  listWorkerRows,
  migrate,
  upsertWorkers,
  type WorkerHeartbeatWrite,
} from '@tributary/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, stopAll } from '../harness/index.js';

let db: Database;

beforeAll(async () => {
  const pg = await startPostgres();
  db = createDatabase({ url: await pg.createDatabase('workers_test') });
  await migrate(db.sql);
});

afterAll(async () => {
  await db?.close();
  await stopAll();
});

/** A heartbeat of worker `id` received at `at`, plus `fields`. */
function heartbeat(id: string, at: number, fields: Partial<WorkerHeartbeatWrite> = {}): WorkerHeartbeatWrite {
  return {
    id,
    host: `host-${id}`,
    pools: ['default'],
    concurrency: 4,
    version: '1.2.3',
    startedAt: at - 60_000,
    lastHeartbeatAt: at,
    stopping: false,
    running: [],
    ...fields,
  };
}

describe('the worker registry', () => {
  it('inserts a batch of workers in one call and replaces a row with the next heartbeat', async () => {
    const now = Date.now();
    const runId = '6f1c2a4e-1b2c-4d5e-8f90-123456789abc';
    await upsertWorkers(db.sql, [
      heartbeat('upsert-a', now - 1_000, { pools: ['default', 'gpu'], concurrency: 8 }),
      heartbeat('upsert-b', now - 1_000, { startedAt: null }),
    ]);
    await upsertWorkers(db.sql, [
      heartbeat('upsert-a', now, {
        pools: ['default', 'gpu'],
        concurrency: 8,
        stopping: true,
        running: [{ runId, taskId: 'extract', attempt: 2 }],
      }),
    ]);
    const rows = (await listWorkerRows(db)).filter((row) => row.id.startsWith('upsert-'));
    expect(rows.map((row) => row.id)).toEqual(['upsert-a', 'upsert-b']);
    expect(rows[0]).toMatchObject({
      host: 'host-upsert-a',
      pools: ['default', 'gpu'],
      concurrency: 8,
      version: '1.2.3',
      stopping: true,
      running: [{ runId, taskId: 'extract', attempt: 2 }],
    });
    expect(rows[0]!.lastHeartbeatAt.getTime()).toBe(now);
    expect(rows[0]!.startedAt!.getTime()).toBe(now - 60_000);
    expect(rows[1]).toMatchObject({ stopping: false, running: [], startedAt: null });
  });

  it('keeps a later heartbeat when an older one is written after it', async () => {
    const now = Date.now();
    await upsertWorkers(db.sql, [heartbeat('order-a', now, { stopping: true })]);
    await upsertWorkers(db.sql, [heartbeat('order-a', now - 5_000, { stopping: false })]);
    const [row] = (await listWorkerRows(db)).filter((r) => r.id === 'order-a');
    expect(row).toMatchObject({ stopping: true });
    expect(row!.lastHeartbeatAt.getTime()).toBe(now);
  });

  it('lists only the workers serving a pool when asked for one', async () => {
    const now = Date.now();
    await upsertWorkers(db.sql, [
      heartbeat('pool-a', now, { pools: ['pool-test-gpu', 'pool-test-cpu'] }),
      heartbeat('pool-b', now, { pools: ['pool-test-cpu'] }),
    ]);
    const ids = async (pool: string) => (await listWorkerRows(db, { pool })).map((row) => row.id);
    expect(await ids('pool-test-gpu')).toEqual(['pool-a']);
    expect(await ids('pool-test-cpu')).toEqual(['pool-a', 'pool-b']);
    expect(await ids('pool-test-none')).toEqual([]);
  });

  it('deletes the workers whose last heartbeat is older than the cutoff, and only those', async () => {
    const now = Date.now();
    await upsertWorkers(db.sql, [
      heartbeat('expire-old', now - 20 * 60_000, { stopping: true }),
      heartbeat('expire-recent', now - 1_000, { stopping: true }),
    ]);
    const deleted = await deleteExpiredWorkers(db.sql, now - 10 * 60_000);
    expect(deleted).toContain('expire-old');
    expect(deleted).not.toContain('expire-recent');
    const ids = (await listWorkerRows(db)).map((row) => row.id);
    expect(ids).toContain('expire-recent');
    expect(ids).not.toContain('expire-old');
  });
});
