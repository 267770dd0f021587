/**
 * How a sql task's errors become failures: which are worth another attempt. One table per driver, as
 * packages/db keeps for the coordinator's own database.
 */
import type { Failure } from '@tributary/core';
import postgres from 'postgres';
import { connectionHint } from './connections.js';

/**
 * SQLSTATEs after which the same statement may succeed when run again, with why. Class 08 (connection
 * exceptions) is retryable as a whole. Every other SQL error (syntax, a missing table, a constraint, a
 * permission) would fail the same way again.
 */
const RETRYABLE_SQLSTATES: Readonly<Record<string, string>> = {
  '40001': 'serialization failure',
  '40P01': 'deadlock detected',
  '57P03': 'cannot connect now (the server is starting)',
};

/** Whether running the statement again may succeed after an error with this SQLSTATE. */
export function isRetryableSqlState(sqlstate: string): boolean {
  return Object.hasOwn(RETRYABLE_SQLSTATES, sqlstate) || sqlstate.startsWith('08');
}

/**
 * Socket and driver errors (not SQLSTATEs) that mean the server could not be reached or the connection
 * was lost: another attempt may find it back. `ENOTFOUND` is left out: a host name that does not
 * resolve is a configuration error.
 */
const RETRYABLE_CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

/** The PostgresError fields worth keeping in a failure's details, by the name they get there. */
const DETAIL_FIELDS = {
  severity: 'severity',
  detail: 'detail',
  hint: 'hint',
  position: 'position',
  where: 'where',
  schema_name: 'schema',
  table_name: 'table',
  column_name: 'column',
  constraint_name: 'constraint',
} as const;

/**
 * The failure of a statement that failed or could not connect. An error from the server is a
 * `SqlError` with its SQLSTATE in `details.sqlstate`; a connection that could not be made or was lost
 * is a `SqlConnectionError`. Both name the task and the connection, never its URL.
 */
export function sqlFailure(error: unknown, taskId: string, connection: string): Failure {
  if (error instanceof postgres.PostgresError) {
    const details: Record<string, unknown> = { sqlstate: error.code, connection };
    for (const [field, name] of Object.entries(DETAIL_FIELDS)) {
      const value = (error as unknown as Record<string, unknown>)[field];
      if (value !== undefined && value !== '') details[name] = value;
    }
    return {
      type: 'SqlError',
      message: `task '${taskId}': ${error.message} (SQLSTATE ${error.code}, connection '${connection}')`,
      retryable: isRetryableSqlState(error.code),
      details,
    };
  }
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && (RETRYABLE_CONNECTION_CODES.has(code) || code === 'ENOTFOUND')) {
    return {
      type: 'SqlConnectionError',
      message: `task '${taskId}': could not use connection '${connection}': ${message}`,
      retryable: RETRYABLE_CONNECTION_CODES.has(code),
      details: { code, connection },
    };
  }
  // The driver's own errors (e.g. too many parameters) carry a code but no SQLSTATE.
  const details: Record<string, unknown> = { connection };
  if (typeof code === 'string') details.code = code;
  return {
    type: 'SqlError',
    message: `task '${taskId}': ${message} (connection '${connection}')`,
    retryable: false,
    details,
  };
}

/** The failure of a task whose connection this process does not know. Retrying on it cannot help. */
export function connectionNotConfiguredFailure(taskId: string, connection: string): Failure {
  return {
    type: 'ConnectionNotConfigured',
    message: `task '${taskId}': connection '${connection}' is not configured here: ${connectionHint(connection)}`,
    retryable: false,
    details: { connection },
  };
}

/**
 * The failure of a connection whose configured value is not a Postgres URL. The message never quotes
 * the value: it may hold a password.
 */
export function invalidConnectionUrlFailure(taskId: string, connection: string): Failure {
  return {
    type: 'InvalidConnectionUrl',
    message:
      `task '${taskId}': connection '${connection}' is not a Postgres URL ` +
      '(expected postgres://user:password@host:5432/database)',
    retryable: false,
    details: { connection },
  };
}
