import type { ReservedSql, Sql, TransactionSql } from 'postgres';

/**
 * A connection inside a transaction: `sql.begin`'s, or {@link pipelinedTransaction}'s. The write
 * helpers of this package take either.
 */
export type TransactionConnection = TransactionSql | ReservedSql;

/** What a write helper returns when it has nothing to write: no statement goes out. */
export const NO_STATEMENT: Promise<void> = Promise.resolve();

/**
 * Runs `statements` as one transaction in a single round trip: BEGIN, the statements and COMMIT go to
 * the server back to back on a reserved connection, and the server runs them in that order. `sql.begin`
 * waits for BEGIN before the statements and for them before COMMIT: two more round trips, which is most
 * of a small transaction (the run loop's tick on a chain of tasks).
 *
 * `statements` must send every statement before it returns (`.execute()` on each), and throw, not
 * reject, when it cannot build one: COMMIT goes out as soon as it returns, so a statement sent later
 * would run outside the transaction, and a statement left out by a rejection would be missing from a
 * committed one. A synchronous throw sends ROLLBACK instead. The write helpers of this package keep to
 * this (they are not `async`). A condition that must hold for the writes to count (the leader lease) is
 * a statement that raises when it does not: once one statement fails the server aborts the
 * transaction, the statements after it fail, and the COMMIT rolls back. The promise rejects with the
 * first error, so nothing was written when it rejects, except when the connection broke after the
 * COMMIT was sent (as with `sql.begin`, the outcome is then unknown).
 */
export async function pipelinedTransaction<T>(
  sql: Sql,
  statements: (tx: ReservedSql) => Promise<T>,
): Promise<T> {
  const tx = await sql.reserve();
  try {
    const begin = tx`BEGIN`.execute();
    let body: Promise<T>;
    try {
      body = statements(tx);
    } catch (error) {
      // Some statements may have gone out: undo them, and hand the connection back clean.
      await Promise.allSettled([begin, tx`ROLLBACK`.execute()]);
      throw error;
    }
    const commit = tx`COMMIT`.execute();
    const [began, done, committed] = await Promise.allSettled([begin, body, commit]);
    if (began.status === 'rejected') throw began.reason;
    if (done.status === 'rejected') throw done.reason;
    if (committed.status === 'rejected') throw committed.reason;
    // A COMMIT of an aborted transaction succeeds with the tag ROLLBACK; `body` rejected then, unless
    // a statement's failure was caught inside it, and a caught failure still aborted the transaction.
    if (committed.value.command !== 'COMMIT') {
      throw new Error(
        `the transaction was rolled back (${committed.value.command}) though no statement failed`,
      );
    }
    return done.value;
  } finally {
    tx.release();
  }
}
