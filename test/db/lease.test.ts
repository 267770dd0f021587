import {
  claimLease,
  createDatabase,
  type Database,
  endSessionsBlockingExpiredLease,
  isLeaseLost,
  migrate,
  pipelinedTransaction,
  readLease,
  releaseLease,
  renewLeaseOrAbort,
} from '@tributary/db';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPostgres, stopAll } from '../harness/index.js';

let db: Database;
let url: string;

beforeAll(async () => {
  const pg = await startPostgres();
  url = await pg.createDatabase('lease_test');
  db = createDatabase({ url });
  await migrate(db.sql);
});

afterAll(async () => {
  await db?.close();
  await stopAll();
});

const claim = (name: string, holder: string, session: string, ttlMs = 60_000) =>
  claimLease(db.sql, { name, holder, session, address: `${holder}:7070`, ttlMs });
// A transaction of the leader: checks the lease and renews it for 300 ms; aborted when not held.
const holds = (name: string, session: string, epoch: number) =>
  pipelinedTransaction(db.sql, (tx) => renewLeaseOrAbort(tx, { name, session, epoch, ttlMs: 300 })).then(
    () => true,
    (error: unknown) => {
      if (isLeaseLost(error)) return false;
      throw error;
    },
  );

it('gives the lease to one coordinator at a time, and to another once it expired, at a new epoch', async () => {
  const first = await claim('a', 'host-1', 's1', 300);
  expect(first).toMatchObject({ holder: 'host-1', session: 's1', address: 'host-1:7070', epoch: 1 });
  // Taken: another coordinator is told who holds it.
  expect(await claim('a', 'host-2', 's2')).toMatchObject({ holder: 'host-1', epoch: 1 });
  // Renewing keeps the epoch.
  expect((await claim('a', 'host-1', 's1', 300)).epoch).toBe(1);
  expect(await holds('a', 's1', 1)).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, 400));
  // Expired: the old leader's writes are fenced off even before anybody takes over.
  expect(await holds('a', 's1', 1)).toBe(false);
  expect(await claim('a', 'host-2', 's2')).toMatchObject({ holder: 'host-2', session: 's2', epoch: 2 });
  expect(await holds('a', 's2', 2)).toBe(true);
  expect(await holds('a', 's1', 1)).toBe(false);
});

it('lets a coordinator restarted on the same address take its lease back at once, fencing the old session', async () => {
  await claim('b', 'host-1', 'old');
  const restarted = await claim('b', 'host-1', 'new');
  expect(restarted).toMatchObject({ session: 'new', epoch: 2 });
  expect(await holds('b', 'old', 1)).toBe(false);
});

it('frees the lease at once when its holder releases it', async () => {
  await claim('c', 'host-1', 's1');
  await releaseLease(db.sql, 'c', 's1');
  expect((await readLease(db.sql, 'c'))!.expiresAt.getTime()).toBeLessThan(Date.now());
  expect(await claim('c', 'host-2', 's2')).toMatchObject({ holder: 'host-2', epoch: 2 });
  // Releasing a lease one does not hold changes nothing.
  await releaseLease(db.sql, 'c', 's1');
  expect(await holds('c', 's2', 2)).toBe(true);
});

it('ends the session of an expired leader frozen inside a transaction, so that another can take over', async () => {
  await claim('d', 'host-1', 's1', 200);
  // The frozen leader: a transaction that checked its lease (share-locking the row) and never ends.
  const frozen = postgres(url, { max: 1, onnotice: () => {} });
  let release: () => void = () => {};
  const stuck = frozen
    .begin(async (tx) => {
      await renewLeaseOrAbort(tx, { name: 'd', session: 's1', epoch: 1, ttlMs: 200 });
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    })
    .catch((error: unknown) => error);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await expect(claim('d', 'host-2', 's2')).rejects.toMatchObject({ code: '55P03' });
  expect(await endSessionsBlockingExpiredLease(db.sql, 'd')).toBe(1);
  expect(await claim('d', 'host-2', 's2')).toMatchObject({ holder: 'host-2', epoch: 2 });
  // The frozen transaction was ended by the server: nothing it did can commit.
  release();
  expect(await stuck).toBeInstanceOf(Error);
  await frozen.end({ timeout: 1 });
});

it('ends nobody while the lease is still valid', async () => {
  await claim('e', 'host-1', 's1');
  expect(await endSessionsBlockingExpiredLease(db.sql, 'e')).toBe(0);
});
