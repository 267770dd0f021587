export { createDatabase, type Database, type DatabaseOptions } from './connect.js';
export { fromDatabaseError, isRetryableDatabaseError } from './errors.js';
export { EXIT_SCHEMA_TOO_NEW, MIGRATIONS_DIR, migrate, SchemaTooNewError } from './migrate.js';
export * from './queries/dags.js';
export * from './queries/outbox.js';
export * from './queries/runs.js';
export * from './queries/tick-writes.js';
export * from './queries/timers.js';
export * as schema from './schema.js';
