import type { JsonObject } from '@tributary/core';
import type { LogLevel } from '@tributary/sdk';
import type { SqlTaskModel } from '@tributary/spec';
import postgres from 'postgres';
import { type AttemptSecrets, NO_SECRETS } from './attempt-secrets.js';
import { InFlightAttempts, startAttempt } from './attempt-start.js';
import type { LogSink } from './log-sink.js';
import { type RenderedSql, renderSqlStatement, TemplateError, templateFailure } from './render-templates.js';
import { connectionNotConfiguredFailure, invalidConnectionUrlFailure, sqlFailure } from './sql-errors.js';
import { rowsToObjects, SQL_TYPES, type SqlColumn, toSqlParameter } from './sql-values.js';
import { type AttemptStopper, createAttemptStopper, stopResult } from './stopper.js';
import type { ExecuteOptions, ExecutionRequest, ExecutionResult, ExecutorOptions } from './types.js';

/** Runs sql tasks: one statement on a connection of its own per attempt. */
export interface SqlExecutor {
  /** `secrets`: what to mask in the attempt's logs and error (its connection's password). */
  execute(
    request: ExecutionRequest,
    task: SqlTaskModel,
    options?: ExecuteOptions,
    secrets?: AttemptSecrets,
  ): Promise<ExecutionResult>;
  /** Cancels every running statement, closes its connection, and waits for them to end. */
  close(): Promise<void>;
}

/**
 * The output of a sql task. Also what a downstream task reads: `{{ inputs.q.rows[0].total }}`,
 * `{{ inputs.q.rowCount }}`.
 */
export interface SqlOutput extends JsonObject {
  /** The rows, as objects keyed by column name, at most `maxRows` of them. */
  rows: JsonObject[];
  /**
   * The rows the statement returned, or for a command without `RETURNING` (`UPDATE`, `INSERT`, ...)
   * the rows it affected: the count of its command tag. When `truncated`, the statement was not read
   * to its end and this is `rows.length`.
   */
  rowCount: number;
  /** The statement had more than `maxRows` rows; only the first `maxRows` were read. */
  truncated: boolean;
}

/**
 * What the driver resolves a `values()` cursor query with: the rows read, as arrays of values, and
 * what the server said of them. `count` and `command` come from the command tag, so they are null
 * when the cursor was closed before the statement's end.
 */
type RawResult = unknown[][] & {
  columns?: readonly SqlColumn[] | null;
  count?: number | null;
  command?: string | null;
};

type Ending = { result: RawResult } | { error: unknown };

/**
 * Creates the sql executor. Each attempt:
 *
 * 1. resolves `task.connection` with `options.connections`; an unknown name fails the attempt with
 *    `ConnectionNotConfigured` (not retryable) before anything else happens;
 * 2. renders the statement: each template becomes a bind parameter (`$1`...), so a value is never
 *    parsed as SQL;
 * 3. opens one connection (postgres.js, `max: 1`, no prepared statement left behind) and runs the
 *    statement through a cursor: one Execute message limited to `maxRows + 1` rows, then the portal
 *    is closed. So a huge result is never loaded (the server stops producing rows), and any statement
 *    works, `INSERT ... RETURNING` included, which a `SELECT * FROM (...) LIMIT n` wrapper would refuse;
 * 4. closes the connection, whatever happened.
 *
 * A timeout or cancel sends Postgres a cancel request for the statement; if it has not ended
 * `killGraceMs` later, the connection is destroyed. Errors from the server become `SqlError` failures
 * with their SQLSTATE (see {@link sqlFailure} for which are retryable). Server notices (`RAISE NOTICE`)
 * become log lines.
 *
 * Like libpq, the driver fills what the URL leaves out from the process's `PG*` variables (PGPASSWORD,
 * PGSSLMODE...).
 */
export function createSqlExecutor(options: Required<ExecutorOptions>): SqlExecutor {
  const running = new InFlightAttempts();
  return {
    async execute(request, task, executeOptions = {}, secrets = NO_SECRETS) {
      const { logs, finish, cancelledBeforeStart } = startAttempt(
        request.taskId,
        task.timeoutMs,
        options.logTailLines,
        executeOptions,
        secrets.masked,
      );
      if (cancelledBeforeStart !== undefined) return cancelledBeforeStart;
      const url = options.connections(task.connection);
      if (url === undefined) {
        return finish({
          outcome: 'failed',
          error: connectionNotConfiguredFailure(request.taskId, task.connection),
        });
      }
      let statement: RenderedSql;
      try {
        statement = renderSqlStatement(request, task);
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        return finish({ outcome: 'failed', error: templateFailure(error) });
      }
      const sql = connect(url, request, logs);
      if (sql === undefined) {
        return finish({
          outcome: 'failed',
          error: invalidConnectionUrlFailure(request.taskId, task.connection),
        });
      }
      const attempt = startStatement(sql, statement, task, options.killGraceMs, executeOptions.signal);
      running.add(attempt.stopper, attempt.done);
      try {
        const ending = await attempt.done;
        const reason = attempt.stopper.reason;
        if (reason !== undefined) return finish(stopResult(reason, request.taskId, task.timeoutMs));
        if ('error' in ending) {
          return finish({
            outcome: 'failed',
            error: sqlFailure(ending.error, request.taskId, task.connection),
          });
        }
        const output = toOutput(ending.result, task.maxRows);
        logs.push('log', describeOutput(ending.result, output), 'info');
        return finish({ outcome: 'succeeded', output });
      } finally {
        attempt.stopper.dispose();
        running.delete(attempt.stopper);
      }
    },
    async close() {
      await running.killAll();
    },
  };
}

/** A client for one attempt, or undefined when `url` is not a Postgres URL. Connects on first use. */
function connect(url: string, request: ExecutionRequest, logs: LogSink): postgres.Sql | undefined {
  if (!/^postgres(ql)?:\/\//i.test(url)) return undefined;
  try {
    return postgres(url, {
      max: 1,
      // Unnamed statements: nothing is left prepared on the server, and poolers in transaction mode work.
      prepare: false,
      types: SQL_TYPES,
      // Shows in pg_stat_activity, so that a DBA can tell which task runs a query.
      connection: { application_name: `tributary ${request.taskId} ${request.runId}` },
      // The driver's default writes notices to the console; here they belong to the task's log.
      onnotice: (notice) => logs.push('log', noticeLine(notice), noticeLevel(notice)),
    }) as unknown as postgres.Sql;
  } catch {
    // Malformed (e.g. a bad port); the driver's message would quote the URL, and with it the password.
    return undefined;
  }
}

/** Runs the statement; the stopper cancels it on timeout or cancel, then destroys the connection. */
function startStatement(
  sql: postgres.Sql,
  statement: RenderedSql,
  task: SqlTaskModel,
  killGraceMs: number,
  signal: AbortSignal | undefined,
): { stopper: AttemptStopper; done: Promise<Ending> } {
  const query = sql.unsafe(statement.text, statement.values.map(toSqlParameter)).values();
  const stopper = createAttemptStopper({
    signal,
    timeoutMs: task.timeoutMs,
    killGraceMs,
    // cancel() returns a promise at run time (the types say void): a failed cancel request is not
    // the attempt's error, and the kill below still ends it.
    onStop: () => {
      Promise.resolve(query.cancel() as unknown).catch(() => {});
    },
    onKill: () => {
      sql.end({ timeout: 0 }).catch(() => {});
    },
  });
  // The clock covers connecting too: an unreachable server must not outlive the task's timeout.
  stopper.startClock();
  const run = async (): Promise<Ending> => {
    try {
      // One batch of maxRows + 1 rows, then CLOSE: the extra row only tells that there were more.
      const result = await query.cursor(task.maxRows + 1, () => sql.CLOSE);
      return { result: result as unknown as RawResult };
    } catch (error) {
      return { error };
    } finally {
      // Graceful (Terminate) unless it takes longer than the grace period.
      await sql.end({ timeout: killGraceMs / 1000 }).catch(() => {});
    }
  };
  return { stopper, done: run() };
}

function toOutput(result: RawResult, maxRows: number): SqlOutput {
  const truncated = result.length > maxRows;
  const kept = truncated ? result.slice(0, maxRows) : [...result];
  const rows = rowsToObjects(result.columns ?? [], kept);
  const rowCount = truncated ? rows.length : (result.count ?? rows.length);
  return { rows, rowCount, truncated };
}

/** `SELECT: 3 rows`, `UPDATE: 1 row`, `CREATE TABLE`, or that the output is truncated. */
function describeOutput(result: RawResult, output: SqlOutput): string {
  if (output.truncated) return `read ${output.rowCount} rows (max_rows) and stopped: the output is truncated`;
  const rows = `${output.rowCount} ${output.rowCount === 1 ? 'row' : 'rows'}`;
  if (result.command === null || result.command === undefined) return rows;
  // A command tag without a count (`CREATE TABLE`, `DO`) says nothing about rows.
  return result.count === null || result.count === undefined ? result.command : `${result.command}: ${rows}`;
}

function noticeLine(notice: postgres.Notice): string {
  const severity = notice.severity ?? 'NOTICE';
  return `${severity}: ${notice.message ?? ''}`;
}

function noticeLevel(notice: postgres.Notice): LogLevel {
  return notice.severity === 'WARNING' ? 'warn' : 'info';
}
