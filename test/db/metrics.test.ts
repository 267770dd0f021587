import { createDatabase, type Database, migrate, readClusterGauges, upsertWorkers } from '@tributary/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, stopAll } from '../harness/index.js';

let db: Database;
const now = Date.now();

beforeAll(async () => {
  const pg = await startPostgres();
  db = createDatabase({ url: await pg.createDatabase('metrics_test') });
  await migrate(db.sql);
  const { sql } = db;
  await sql`INSERT INTO dags (name) VALUES ('etl'), ('ml')`;
  await sql`
    INSERT INTO dag_versions (dag, version, bundle_hash, model)
    VALUES ('etl', 1, 'h-etl', '{}'), ('ml', 1, 'h-ml', '{}')`;
  // etl: 300 finished runs of history, 2 running, 1 queued; ml: 1 running.
  await sql`
    INSERT INTO runs (id, dag, dag_version, state, params, created_at, logical_date, data_interval_start,
                      data_interval_end)
    SELECT gen_random_uuid(), 'etl', 1, CASE WHEN n % 2 = 0 THEN 'succeeded' ELSE 'failed' END, '{}', now(),
           now(), now(), now()
    FROM generate_series(1, 300) AS n`;
  await sql`
    INSERT INTO runs (id, dag, dag_version, state, params, created_at, logical_date, data_interval_start,
                      data_interval_end) VALUES
      ('00000000-0000-4000-8000-000000000001', 'etl', 1, 'running', '{}', now(), now(), now(), now()),
      ('00000000-0000-4000-8000-000000000002', 'etl', 1, 'running', '{}', now(), now(), now(), now()),
      ('00000000-0000-4000-8000-000000000003', 'etl', 1, 'queued', '{}', now(), now(), now(), now()),
      ('00000000-0000-4000-8000-000000000004', 'ml', 1, 'running', '{}', now(), now(), now(), now())`;
  // Run 1: a task queued 30 s ago in default (attempt 2; attempt 1 was queued earlier and failed), one
  // queued 10 s ago in default, one running; run 4: one queued in gpu 5 s ago, and a fanned-out mapped task.
  const task = (
    run: number,
    id: string,
    state: string,
    pool: string,
    attempt: number,
    mapCount?: number,
  ) => ({
    run_id: `00000000-0000-4000-8000-00000000000${run}`,
    task_id: id,
    position: 0,
    state,
    attempt,
    pool,
    map_count: mapCount ?? null,
  });
  await sql`INSERT INTO task_instances ${sql([
    task(1, 'old', 'queued', 'default', 2),
    task(1, 'young', 'queued', 'default', 1),
    task(1, 'busy', 'running', 'default', 1),
    task(1, 'done', 'succeeded', 'default', 1),
    task(4, 'train', 'queued', 'gpu', 1),
    task(4, 'fan', 'queued', 'gpu', 1, 3),
  ])}`;
  const attempt = (run: number, id: string, n: number, state: string, agoMs: number) => ({
    run_id: `00000000-0000-4000-8000-00000000000${run}`,
    task_id: id,
    attempt: n,
    state,
    queued_at: new Date(now - agoMs),
  });
  await sql`INSERT INTO task_attempts ${sql([
    attempt(1, 'old', 1, 'failed', 90_000),
    attempt(1, 'old', 2, 'queued', 30_000),
    attempt(1, 'young', 1, 'queued', 10_000),
    attempt(1, 'busy', 1, 'running', 60_000),
    attempt(4, 'train', 1, 'queued', 5_000),
  ])}`;
  const worker = { host: 'h', concurrency: 4, version: '1', startedAt: null, stopping: false, running: [] };
  await upsertWorkers(sql, [
    { ...worker, id: 'w-live', pools: ['default', 'gpu'], lastHeartbeatAt: now - 1_000 },
    { ...worker, id: 'w-live-2', pools: ['default'], lastHeartbeatAt: now - 2_000 },
    { ...worker, id: 'w-quiet', pools: ['default', 'etl-only'], lastHeartbeatAt: now - 60_000 },
    { ...worker, id: 'w-stopping', pools: ['gpu'], lastHeartbeatAt: now - 500, stopping: true },
  ]);
});

afterAll(async () => {
  await db?.close();
  await stopAll();
});

describe('the cluster gauges read at scrape time', () => {
  it('count queued attempts per pool with the oldest queue time, unfinished runs per DAG, and live workers', async () => {
    const gauges = await readClusterGauges(db.sql, { liveSinceMs: now - 15_000, statementTimeoutMs: 2_000 });
    const queues = Object.fromEntries(gauges.queues.map((q) => [q.pool, q]));
    // The running task and the fanned-out mapped task (its instances are what runs) are not queued.
    expect(queues.default).toEqual({ pool: 'default', depth: 2, oldestQueuedAt: new Date(now - 30_000) });
    expect(queues.gpu).toEqual({ pool: 'gpu', depth: 1, oldestQueuedAt: new Date(now - 5_000) });
    // A pool only a registered worker serves shows an empty queue rather than no series.
    expect(queues['etl-only']).toEqual({ pool: 'etl-only', depth: 0, oldestQueuedAt: null });
    expect(gauges.queues).toHaveLength(3);

    expect(
      gauges.activeRuns.sort((a, b) => `${a.dag}${a.state}`.localeCompare(`${b.dag}${b.state}`)),
    ).toEqual([
      { dag: 'etl', state: 'queued', count: 1 },
      { dag: 'etl', state: 'running', count: 2 },
      { dag: 'ml', state: 'running', count: 1 },
    ]);
    // Quiet and stopping workers are registered but not live.
    expect(Object.fromEntries(gauges.workers.map((w) => [w.pool, w.live]))).toEqual({
      default: 2,
      gpu: 1,
      'etl-only': 0,
    });
  });

  it('cancel a statement that runs past the timeout instead of hanging the scrape', async () => {
    // A lock held by another transaction: reading the workers table waits on it... unless it times out.
    const blocker = await db.sql.reserve();
    try {
      await blocker`BEGIN`;
      await blocker`LOCK TABLE workers IN ACCESS EXCLUSIVE MODE`;
      await expect(
        readClusterGauges(db.sql, { liveSinceMs: now, statementTimeoutMs: 200 }),
      ).rejects.toMatchObject({ code: '57014' });
    } finally {
      await blocker`ROLLBACK`;
      blocker.release();
    }
  });
});
