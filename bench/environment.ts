import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { findNatsServer, findPostgresBinDir } from '../test/harness/binaries.js';
import { freePort } from '../test/harness/free-port.js';
import { type NatsServer, startNats } from '../test/harness/nats-server.js';
import { type PostgresServer, startPostgres } from '../test/harness/postgres-server.js';

/** The role the benchmark's own queries run as, so pg_stat_statements can leave them out. */
export const OBSERVER_ROLE = 'bench_observer';

/** The benchmark's servers, and what it reports about the machine. */
export interface BenchEnvironment {
  pg: PostgresServer;
  nats: NatsServer & { monitorUrl: string };
  /** Whether pg_stat_statements is loaded (its `.so` ships with the server, e.g. Debian's postgresql-15). */
  statementStats: boolean;
  machine: MachineInfo;
}

/** The machine and versions a result was measured on. */
export interface MachineInfo {
  cores: number;
  cpu: string;
  node: string;
  postgres: string;
  nats: string;
}

// The targets are for Postgres with fsync on; the harness turns it off for tests.
const DURABLE_SETTINGS = ['fsync=on', 'full_page_writes=on'];

/**
 * Starts Postgres (fsync on, pg_stat_statements preloaded when installed) and nats-server with its
 * monitoring port, through the test harness, and creates the observer role.
 */
export async function startBenchEnvironment(): Promise<BenchEnvironment> {
  const statementStats = existsSync(join(findPostgresBinDir(), '..', 'lib', 'pg_stat_statements.so'));
  const settings = statementStats
    ? [...DURABLE_SETTINGS, 'shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.max=10000']
    : DURABLE_SETTINGS;
  const [pg, nats] = await Promise.all([
    startPostgres({ settings }),
    startNats({ monitorPort: await freePort() }),
  ]);
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  try {
    // Superuser: it reads every database's tables and all of pg_stat_statements.
    await sql.unsafe(`CREATE ROLE ${OBSERVER_ROLE} LOGIN SUPERUSER`);
    if (statementStats) await sql`CREATE EXTENSION pg_stat_statements`;
    const [{ version }] = (await sql`SELECT current_setting('server_version') AS version`) as unknown as [
      { version: string },
    ];
    return {
      pg,
      nats: nats as NatsServer & { monitorUrl: string },
      statementStats,
      machine: {
        cores: availableParallelism(),
        cpu: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        postgres: version ?? 'unknown',
        nats: execFileSync(findNatsServer(), ['--version'], { encoding: 'utf8' }).trim(),
      },
    };
  } finally {
    await sql.end();
  }
}
