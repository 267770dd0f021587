import { join } from 'node:path';
import postgres from 'postgres';
import { findPostgresBinDir } from './binaries.js';
import { type ChildProcessHandle, outputTail, spawnChild, within } from './child-process.js';
import { freePort } from './free-port.js';
import { killClusterProcesses, removeStalePidFile } from './postgres-processes.js';
import { copyTemplate, postgresTemplate } from './postgres-template.js';
import { track, untrack } from './registry.js';
import { postgresUser, type ServerUser } from './server-user.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

/** A throwaway Postgres server with its own port and data directory. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth, superuser). */
  readonly url: string;
  readonly port: number;
  /** Also holds the unix socket. */
  readonly dataDir: string;
  /** Creates an empty database and returns its URL. @default name `test_<n>` */
  createDatabase(name?: string): Promise<string>;
  /** Shuts down (`fast`: SIGINT, `immediate`: SIGQUIT, i.e. crash-like) and waits. @default 'fast' */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts again on the same port and data; waits until it accepts connections. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** SIGKILLs the postmaster (and its orphaned backends), like a machine crash; `start()` recovers. */
  kill(): Promise<void>;
  /** Stops it and removes its data directory. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** @default a free port */
  port?: number;
  /**
   * Extra server settings (`name=value`, each passed as `-c`), after the harness's own and so overriding
   * them: the benchmark turns fsync back on and preloads pg_stat_statements. @default []
   */
  settings?: readonly string[];
}

const STOP_SIGNAL = { fast: 'SIGINT', immediate: 'SIGQUIT' } as const;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;
// Another process can take a free port between freePort() and bind(); retry with a new one.
const PORT_ATTEMPTS = 3;
// fsync and full_page_writes only protect against an OS or power failure; crash tests kill processes, and
// the data is thrown away. synchronous_commit stays on: with it off, a SIGKILLed server loses commits it
// has acknowledged (the WAL writer flushes every 200ms), which would break the fault-injection tests'
// premise that killing Postgres loses nothing ("accepts connections again after SIGKILL" proves it). With
// fsync off, a synchronous commit is one write() and costs little.
const SETTINGS = ['listen_addresses=127.0.0.1', 'fsync=off', 'full_page_writes=off', 'max_connections=200'];

let databaseCount = 0;

class LocalPostgres implements PostgresServer {
  readonly url: string;
  #process: ChildProcessHandle | undefined;

  constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly binDir: string,
    private readonly user: ServerUser | undefined,
    private readonly settings: readonly string[] = SETTINGS,
  ) {
    this.url = this.urlFor('postgres');
  }

  private urlFor(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${encodeURIComponent(database)}`;
  }

  async createDatabase(name = `test_${++databaseCount}`): Promise<string> {
    const sql = postgres(this.url, { max: 1, onnotice: () => {} });
    try {
      await sql`create database ${sql(name)}`;
    } finally {
      await sql.end();
    }
    return this.urlFor(name);
  }

  async start(): Promise<void> {
    if (this.#process !== undefined && this.#process.exitStatus === undefined) return;
    // What a kill() left behind: orphaned backends holding shared memory, and the dead postmaster's pid file.
    await killClusterProcesses(this.dataDir);
    await removeStalePidFile(this.dataDir);
    const args = ['-D', this.dataDir, '-p', String(this.port), '-k', this.dataDir];
    const proc = spawnChild(
      join(this.binDir, 'postgres'),
      [...args, ...this.settings.flatMap((s) => ['-c', s])],
      {
        name: `postgres :${this.port}`,
        cwd: this.dataDir,
        env: { LC_ALL: 'C' },
        ...this.user,
      },
    );
    this.#process = proc;
    try {
      await this.waitUntilReady(proc);
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  private async waitUntilReady(proc: ChildProcessHandle): Promise<void> {
    const outcome = await waitFor(
      async () => {
        if (proc.exitStatus !== undefined) return 'exited';
        const sql = postgres(this.url, { max: 1, connect_timeout: 2, onnotice: () => {} });
        try {
          await sql`select 1`;
          return 'ready';
        } finally {
          await sql.end({ timeout: 0 });
        }
      },
      { timeoutMs: START_TIMEOUT_MS, intervalMs: 50, description: `Postgres on port ${this.port} to start` },
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}. Its output:\n${outputTail(proc)}`, { cause: error });
    });
    if (outcome === 'exited') {
      throw new Error(
        `Postgres on port ${this.port} exited while starting. Its output:\n${outputTail(proc)}`,
      );
    }
  }

  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    const proc = this.#process;
    if (proc === undefined || proc.exitStatus !== undefined) return;
    proc.signal(STOP_SIGNAL[mode]);
    if ((await within(proc.exited, STOP_TIMEOUT_MS)) === undefined) await this.kill();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async kill(): Promise<void> {
    await this.#process?.kill();
    await killClusterProcesses(this.dataDir);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    untrack(this);
    try {
      await this.stop('immediate');
      await killClusterProcesses(this.dataDir);
    } finally {
      await removeTempDir(this.dataDir);
    }
  }
}

/**
 * Starts a Postgres server in a new temp data directory (a copy of a cached initdb template), as the
 * `postgres` user when running as root, and waits until it accepts connections. It is registered for
 * `stopAll()`.
 * @throws Error naming the package to install when the server binaries are missing.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  const user = postgresUser();
  const template = await postgresTemplate(binDir, user);
  const dataDir = await makeTempDir('pg');
  try {
    await copyTemplate(template, dataDir, user);
    for (let attempt = 1; ; attempt++) {
      // A later -c wins, so extra settings override the defaults.
      const settings = [...SETTINGS, ...(options.settings ?? [])];
      const server = new LocalPostgres(options.port ?? (await freePort()), dataDir, binDir, user, settings);
      try {
        await server.start();
      } catch (error) {
        const portTaken = String(error).includes('Address already in use');
        if (portTaken && options.port === undefined && attempt < PORT_ATTEMPTS) continue;
        throw error;
      }
      track(server, `postgres :${server.port}`, () => server[Symbol.asyncDispose]());
      return server;
    }
  } catch (error) {
    await removeTempDir(dataDir);
    throw error;
  }
}
