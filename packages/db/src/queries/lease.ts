import type { Sql } from 'postgres';
import type { TransactionConnection } from '../pipelined-transaction.js';

/** Who holds a lease. */
export interface LeaseHolder {
  holder: string;
  session: string;
  address: string;
  epoch: number;
  expiresAt: Date;
}

/** A coordinator asking for (or renewing) a lease. */
export interface LeaseClaim {
  name: string;
  holder: string;
  session: string;
  address: string;
  ttlMs: number;
}

/**
 * Takes or renews the lease when it is free, expired, or already this holder's (the same coordinator
 * restarted on the same address takes it back at once); returns who holds it afterwards. A new session
 * gets a new epoch, which fences off every write of the session before it.
 */
export async function claimLease(sql: Sql, claim: LeaseClaim): Promise<LeaseHolder> {
  // The row may be share-locked by a leader's transaction; a frozen leader's is ended by the server
  // (idle_in_transaction_session_timeout). Meanwhile a claim gives up after a second and tries again
  // later rather than hanging the claim loop.
  const claimed = await sql.begin(async (tx) => {
    await tx`SET LOCAL lock_timeout = '1s'`;
    const [row] = await tx<LeaseHolder[]>`
    INSERT INTO coordinator_lease (name, holder, session, address, epoch, expires_at)
    VALUES (${claim.name}, ${claim.holder}, ${claim.session}, ${claim.address}, 1,
            now() + make_interval(secs => ${claim.ttlMs / 1000}))
    ON CONFLICT (name) DO UPDATE SET
      holder = EXCLUDED.holder, session = EXCLUDED.session, address = EXCLUDED.address,
      epoch = CASE WHEN coordinator_lease.session = EXCLUDED.session THEN coordinator_lease.epoch
                   ELSE coordinator_lease.epoch + 1 END,
      expires_at = EXCLUDED.expires_at
    WHERE coordinator_lease.expires_at < now() OR coordinator_lease.holder = EXCLUDED.holder
    RETURNING holder, session, address, epoch::float8 AS epoch, expires_at AS "expiresAt"`;
    return row;
  });
  if (claimed !== undefined) return claimed;
  const current = await readLease(sql, claim.name);
  if (current === null) throw new Error(`lease ${claim.name} vanished while being claimed`);
  return current;
}

/** Who holds the lease, expired or not; null before anybody took it. */
export async function readLease(sql: Sql, name: string): Promise<LeaseHolder | null> {
  const [row] = await sql<LeaseHolder[]>`
    SELECT holder, session, address, epoch::float8 AS epoch, expires_at AS "expiresAt"
    FROM coordinator_lease WHERE name = ${name}`;
  return row ?? null;
}

/** Gives the lease up at once (a leader stopping cleanly), so that another takes it without waiting. */
export async function releaseLease(sql: Sql, name: string, session: string): Promise<void> {
  await sql`UPDATE coordinator_lease SET expires_at = now() - interval '1 second'
            WHERE name = ${name} AND session = ${session}`;
}

/** The SQLSTATE of {@link renewLeaseOrAbort}'s error: this session no longer holds the lease. */
export const LEASE_LOST_SQLSTATE = 'TRB01';

/** Whether `error` is {@link renewLeaseOrAbort}'s: the transaction was aborted for want of the lease. */
export function isLeaseLost(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === LEASE_LOST_SQLSTATE;
}

/**
 * Inside a transaction: renews the lease for `ttlMs` from now if `session` still holds it at `epoch`,
 * unexpired, and otherwise raises (SQLSTATE {@link LEASE_LOST_SQLSTATE}), aborting the transaction: it
 * works in a `pipelinedTransaction`, whose COMMIT is sent before this statement's answer. The row
 * stays locked until the transaction ends, so a takeover waits for it, and every later transaction of
 * the old session fails this check: the epoch is the fencing token of the leader's writes. Each
 * committed write thus also keeps the lease, whatever the claim loop manages. Sent when called.
 */
export function renewLeaseOrAbort(
  tx: TransactionConnection,
  lease: { name: string; session: string; epoch: number; ttlMs: number },
): Promise<unknown> {
  // CASE evaluates its branches in order: the raising function runs only when no row was renewed.
  return tx`
    WITH renewed AS (
      UPDATE coordinator_lease SET expires_at = now() + make_interval(secs => ${lease.ttlMs / 1000})
      WHERE name = ${lease.name} AND session = ${lease.session} AND epoch = ${lease.epoch} AND expires_at > now()
      RETURNING 1)
    SELECT CASE WHEN EXISTS (SELECT 1 FROM renewed) THEN true
                ELSE tributary_lease_lost(${lease.name}, ${lease.session}, ${lease.epoch}) END`.execute();
}

/**
 * Ends the database sessions that hold locks on the lease table while the lease has expired, and
 * returns how many. A leader frozen inside a transaction (paused, its socket full) keeps the lease row
 * share-locked; Postgres's idle-in-transaction timeout does not end a session blocked sending results.
 * Its lease has expired by then, so its transaction could never commit anyway (the epoch check fails):
 * ending it only releases the row for the next leader. Only sessions of the same database role can be
 * ended, which coordinators share.
 */
export async function endSessionsBlockingExpiredLease(sql: Sql, name: string): Promise<number> {
  const rows = await sql`
    SELECT pg_terminate_backend(l.pid) AS ended
    FROM pg_locks l
    WHERE l.relation = 'coordinator_lease'::regclass AND l.pid <> pg_backend_pid()
      AND EXISTS (SELECT 1 FROM coordinator_lease WHERE name = ${name} AND expires_at < now())
    GROUP BY l.pid`;
  return rows.filter((row) => row.ended === true).length;
}
