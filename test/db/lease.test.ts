import {
  claimLease,
  createDatabase,
  type Database,
  holdsLease,
  migrate,
  readLease,
  releaseLease,
} from '@tributary/db';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPostgres, stopAll } from '../harness/index.js';

let db: Database;

beforeAll(async () => {
  const pg = await startPostgres();
  db = createDatabase({ url: await pg.createDatabase('lease_test') });
  await migrate(db.sql);
});

afterAll(async () => {
  await db?.close();
  await stopAll();
});

const claim = (name: string, holder: string, session: string, ttlMs = 60_000) =>
  claimLease(db.sql, { name, holder, session, address: `${holder}:7070`, ttlMs });
const holds = (name: string, session: string, epoch: number) =>
  db.sql.begin((tx) => holdsLease(tx, name, session, epoch));

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
