import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { isRetryableSqlState, sqlFailure } from './sql-errors.js';

/** A server error as the driver builds it from an ErrorResponse. */
function serverError(fields: Record<string, string>): Error {
  const PostgresError = postgres.PostgresError as unknown as new (fields: Record<string, string>) => Error;
  return new PostgresError(fields);
}

describe('sql failures', () => {
  it.each([
    ['40001', true],
    ['40P01', true],
    ['57P03', true],
    ['08006', true],
    ['08P01', true],
    ['42P01', false],
    ['23505', false],
    ['57014', false],
    ['28P01', false],
  ])('treats SQLSTATE %s as retryable: %s', (sqlstate, retryable) => {
    expect(isRetryableSqlState(sqlstate)).toBe(retryable);
  });

  it('keeps the SQLSTATE and what the server said about the error, and names the task and connection', () => {
    const error = serverError({
      message: 'duplicate key value violates unique constraint "orders_pkey"',
      severity: 'ERROR',
      code: '23505',
      detail: 'Key (id)=(1) already exists.',
      schema_name: 'public',
      table_name: 'orders',
      constraint_name: 'orders_pkey',
      routine: '_bt_check_unique',
    });
    expect(sqlFailure(error, 'load', 'warehouse')).toEqual({
      type: 'SqlError',
      message:
        "task 'load': duplicate key value violates unique constraint \"orders_pkey\" (SQLSTATE 23505, connection 'warehouse')",
      retryable: false,
      details: {
        sqlstate: '23505',
        connection: 'warehouse',
        severity: 'ERROR',
        detail: 'Key (id)=(1) already exists.',
        schema: 'public',
        table: 'orders',
        constraint: 'orders_pkey',
      },
    });
  });

  it('makes a lost or refused connection a retryable SqlConnectionError, an unknown host not', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(sqlFailure(refused, 'load', 'warehouse')).toEqual({
      type: 'SqlConnectionError',
      message: "task 'load': could not use connection 'warehouse': connect ECONNREFUSED 127.0.0.1:1",
      retryable: true,
      details: { code: 'ECONNREFUSED', connection: 'warehouse' },
    });
    const unknownHost = Object.assign(new Error('getaddrinfo ENOTFOUND db.invalid'), { code: 'ENOTFOUND' });
    expect(sqlFailure(unknownHost, 'load', 'warehouse')).toMatchObject({
      type: 'SqlConnectionError',
      retryable: false,
    });
  });

  it('makes a driver error without a SQLSTATE a SqlError that is not retried', () => {
    const error = Object.assign(
      new Error('MAX_PARAMETERS_EXCEEDED: Max number of parameters (65534) exceeded'),
      {
        code: 'MAX_PARAMETERS_EXCEEDED',
      },
    );
    expect(sqlFailure(error, 'load', 'w')).toEqual({
      type: 'SqlError',
      message:
        "task 'load': MAX_PARAMETERS_EXCEEDED: Max number of parameters (65534) exceeded (connection 'w')",
      retryable: false,
      details: { connection: 'w', code: 'MAX_PARAMETERS_EXCEEDED' },
    });
  });
});
