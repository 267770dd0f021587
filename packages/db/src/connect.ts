import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import * as schema from './schema.js';

export interface DatabaseOptions {
  /** postgres:// URL. */
  url: string;
  /** Connections in the pool. @default 10 */
  maxConnections?: number;
  /** Called with each Postgres notice (e.g. for logging). */
  onNotice?: (message: string) => void;
  /**
   * Postgres ends a session left idle inside a transaction this long (its process paused or cut off),
   * releasing its locks: a coordinator frozen mid-transaction must not keep the leader lease row
   * locked forever. @default none
   */
  idleInTransactionTimeoutMs?: number;
  /** Called when a pooled connection closed (the server restarted, the network failed, its lifetime ended); the next query opens another. */
  onConnectionClosed?: (connectionId: number) => void;
}

/** A connection pool with both faces: postgres.js for batched SQL, drizzle for typed queries. */
export interface Database extends AsyncDisposable {
  readonly sql: Sql;
  readonly orm: PostgresJsDatabase<typeof schema>;
  close(): Promise<void>;
}

/** Opens a lazy pool: no connection is made until the first query. */
export function createDatabase(options: DatabaseOptions): Database {
  const sql = postgres(options.url, {
    max: options.maxConnections ?? 10,
    onnotice: (notice) => options.onNotice?.(String(notice.message)),
    onclose: (connectionId) => options.onConnectionClosed?.(connectionId),
    connection: {
      application_name: 'tributary',
      ...(options.idleInTransactionTimeoutMs === undefined
        ? {}
        : { idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs }),
    },
  });
  // drizzle installs its own type parsers on the client it is given (timestamps stay strings for it to
  // map), so it gets a small pool of its own and the hot path's postgres.js keeps returning Dates.
  const ormClient = postgres(options.url, { max: 2, connection: { application_name: 'tributary-orm' } });
  const orm = drizzle(ormClient, { schema });
  const close = async () => {
    await Promise.all([sql.end({ timeout: 5 }), ormClient.end({ timeout: 5 })]);
  };
  return { sql, orm, close, [Symbol.asyncDispose]: close };
}
