import { Code, TributaryError } from '@tributary/core';

// SQLSTATEs after which the same work may succeed when retried, with why.
const RETRYABLE_SQLSTATES: Record<string, string> = {
  '40001': 'serialization failure',
  '40P01': 'deadlock detected',
  '57P01': 'admin shutdown (server restarting)',
  '57P02': 'crash shutdown',
  '57P03': 'cannot connect now (server starting)',
  '08000': 'connection exception',
  '08003': 'connection does not exist',
  '08006': 'connection failure',
};

// Socket errors that mean the database is unreachable right now.
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

/** Whether retrying after this database error may succeed (connection lost, deadlock, restart). */
export function isRetryableDatabaseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code in RETRYABLE_SQLSTATES || UNAVAILABLE_ERRNOS.has(code));
}

/** Turns a database error into a TributaryError: UNAVAILABLE when retryable, INTERNAL otherwise. */
export function fromDatabaseError(error: unknown): TributaryError {
  if (error instanceof TributaryError) return error;
  const retryable = isRetryableDatabaseError(error);
  const message = error instanceof Error ? error.message : String(error);
  return new TributaryError(retryable ? Code.Unavailable : Code.Internal, `database: ${message}`, {
    cause: error,
  });
}
