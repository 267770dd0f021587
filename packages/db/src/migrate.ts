import { readdir, readFile } from 'node:fs/promises';
import { Code, TributaryError } from '@tributary/core';
import type { Sql } from 'postgres';

/** The folder of numbered SQL migrations shipped with this package. */
export const MIGRATIONS_DIR = new URL('../migrations/', import.meta.url);

/** Exit code a service uses when the database schema is newer than it understands. */
export const EXIT_SCHEMA_TOO_NEW = 78;

/** Thrown when the database was migrated by a newer release than this one. */
export class SchemaTooNewError extends TributaryError {
  override name = 'SchemaTooNewError';
}

interface Migration {
  number: number;
  name: string;
  sql: string;
}

// A fixed key so that coordinators starting together migrate one at a time.
const MIGRATION_LOCK_KEY = 7_233_001;

/**
 * Applies the migrations the database lacks, in order, each in its own transaction, under an advisory
 * lock. Refuses (SchemaTooNewError) when the database has a migration this release does not know.
 * Returns the numbers applied.
 */
export async function migrate(sql: Sql): Promise<number[]> {
  const migrations = await readMigrations();
  const applied: number[] = [];
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
    await tx`
      CREATE TABLE IF NOT EXISTS tributary_migrations (
        number integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`;
    const done = new Set(
      (await tx<{ number: number }[]>`SELECT number FROM tributary_migrations`).map((r) => r.number),
    );
    const newest = Math.max(0, ...done);
    const known = migrations.at(-1)?.number ?? 0;
    if (newest > known) {
      throw new SchemaTooNewError(
        Code.FailedPrecondition,
        `the database schema is at migration ${newest}, newer than this release knows (${known}); upgrade Tributary`,
      );
    }
    for (const migration of migrations) {
      if (done.has(migration.number)) continue;
      await tx.unsafe(migration.sql);
      await tx`INSERT INTO tributary_migrations (number, name) VALUES (${migration.number}, ${migration.name})`;
      applied.push(migration.number);
    }
  });
  return applied;
}

async function readMigrations(): Promise<Migration[]> {
  const names = (await readdir(MIGRATIONS_DIR)).filter((name) => /^\d{4}_.+\.sql$/.test(name)).sort();
  return Promise.all(
    names.map(async (name) => ({
      number: Number(name.slice(0, 4)),
      name,
      sql: await readFile(new URL(name, MIGRATIONS_DIR), 'utf8'),
    })),
  );
}
