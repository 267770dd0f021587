// pipelinedTransaction sends BEGIN, the statements and COMMIT in one go: what it writes must still be
// all or nothing, and its connection must go back to the pool clean whatever happened.
import {
  createDatabase,
  type Database,
  insertOutbox,
  migrate,
  type OutboxMessage,
  pipelinedTransaction,
} from '@tributary/db';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startPostgres, stopAll, waitFor } from '../harness/index.js';

let db: Database;
let dbUrl: string;

beforeAll(async () => {
  const pg = await startPostgres();
  // One connection: every test also shows that the connection was handed back, and clean.
  dbUrl = await pg.createDatabase('pipelined_test');
  db = createDatabase({ url: dbUrl, maxConnections: 1 });
  await migrate(db.sql);
  await db.sql`CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)`;
});

beforeEach(async () => {
  await db.sql`TRUNCATE notes`;
});

afterAll(async () => {
  await db?.close();
  await stopAll();
});

const ids = async () => (await db.sql<{ id: number }[]>`SELECT id FROM notes ORDER BY id`).map((r) => r.id);

it('commits every statement as one transaction and returns what the statements gave', async () => {
  const result = await pipelinedTransaction(db.sql, (tx) =>
    Promise.all([
      tx`INSERT INTO notes VALUES (1, 'a')`.execute(),
      tx`INSERT INTO notes VALUES (2, 'b')`.execute(),
      tx<{ xact: string }[]>`SELECT pg_current_xact_id()::text AS xact`.execute(),
      tx<{ xact: string }[]>`SELECT pg_current_xact_id()::text AS xact`.execute(),
    ]),
  );
  // Both statements ran in the same transaction: BEGIN went first.
  expect(result[2][0]!.xact).toBe(result[3][0]!.xact);
  expect(await ids()).toEqual([1, 2]);
  // The connection is back in the pool, outside any transaction.
  const [state] = await db.sql<
    { xact: string | null }[]
  >`SELECT pg_current_xact_id_if_assigned()::text AS xact`;
  expect(state!.xact).toBeNull();
});

it('rolls back the statements before a failing one and rejects with its error, not the aborted ones', async () => {
  await db.sql`INSERT INTO notes VALUES (9, 'kept')`;
  const failed = pipelinedTransaction(db.sql, (tx) =>
    Promise.all([
      tx`INSERT INTO notes VALUES (1, 'a')`.execute(),
      tx`INSERT INTO notes VALUES (9, 'duplicate')`.execute(),
      tx`INSERT INTO notes VALUES (3, 'c')`.execute(),
    ]),
  );
  await expect(failed).rejects.toMatchObject({ code: '23505' });
  expect(await ids()).toEqual([9]);
});

it('rolls back when the statements fail in JavaScript after some were sent', async () => {
  const failed = pipelinedTransaction(db.sql, (tx) => {
    void tx`INSERT INTO notes VALUES (1, 'a')`.execute().catch(() => undefined);
    throw new Error('could not build the next statement');
  });
  await expect(failed).rejects.toThrow('could not build the next statement');
  expect(await ids()).toEqual([]);
});

it("rolls back the run loop's writes sent before one whose rows could not be encoded", async () => {
  const message = (msgId: string, payload: unknown) =>
    ({ msgId, pool: 'default', payload, traceparent: null }) as OutboxMessage;
  const failed = pipelinedTransaction(db.sql, (tx) =>
    Promise.all([
      insertOutbox(tx, [message('m1', new Uint8Array([1]))]),
      // Not bytes: the helper throws while building its statement, after the first one went out.
      insertOutbox(tx, [message('m2', undefined)]),
    ]),
  );
  await expect(failed).rejects.toThrow(TypeError);
  expect(await db.sql`SELECT msg_id FROM outbox`).toEqual([]);
});

it('rolls back a statement whose failure was caught inside the transaction', async () => {
  const failed = pipelinedTransaction(db.sql, (tx) =>
    Promise.all([
      tx`INSERT INTO notes VALUES (1, 'a')`.execute(),
      tx`SELECT 1 / 0`.execute().catch(() => 'ignored'),
    ]),
  );
  await expect(failed).rejects.toThrow(/rolled back \(ROLLBACK\)/);
  expect(await ids()).toEqual([]);
});

it('gives the pool a working connection again after the connection broke mid-transaction', async () => {
  const [session] = await db.sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
  const pid = session!.pid;
  const killer = createDatabase({ url: dbUrl, maxConnections: 1 });
  try {
    const broken = pipelinedTransaction(db.sql, (tx) =>
      Promise.all([tx`INSERT INTO notes VALUES (1, 'a')`.execute(), tx`SELECT pg_sleep(5)`.execute()]),
    );
    await waitFor(
      async () => {
        const [row] = await killer.sql<{ state: string }[]>`
          SELECT state FROM pg_stat_activity WHERE pid = ${pid} AND query LIKE '%pg_sleep%'`;
        return row !== undefined;
      },
      { description: 'the transaction to reach its sleep' },
    );
    await killer.sql`SELECT pg_terminate_backend(${pid})`;
    await expect(broken).rejects.toMatchObject({ code: expect.stringMatching(/57P01|CONNECTION/) });
  } finally {
    await killer.close();
  }
  // postgres.js hands the killed session's error to the next query on that connection (sql.begin's
  // transactions too); after it the pool opens a new connection. A broken connection handed back as
  // open would fail every query from then on.
  const after = await waitFor(() => ids(), {
    description: 'the pool to work again',
    timeoutMs: 5_000,
    intervalMs: 50,
  });
  expect(after).toEqual([]);
  await pipelinedTransaction(db.sql, (tx) => tx`INSERT INTO notes VALUES (2, 'b')`.execute());
  expect(await ids()).toEqual([2]);
});
