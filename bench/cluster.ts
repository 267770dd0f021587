import { join } from 'node:path';
import { createClient, type TributaryClient } from '@tributary/client';
import postgres from 'postgres';
import { type ChildProcessHandle, spawnProcess } from '../test/harness/child-process.js';
import { freePort } from '../test/harness/free-port.js';
import { waitFor } from '../test/harness/wait-for.js';
import { type BenchEnvironment, OBSERVER_ROLE } from './environment.js';

/** The CLI that starts coordinators and workers, as in test/e2e/cluster.ts. */
export const CLI = join(import.meta.dirname, '..', 'packages', 'cli', 'dist', 'main.js');

/** A fresh coordinator and workers on a database and NATS prefix of their own. */
export interface BenchCluster {
  database: string;
  coordinator: ChildProcessHandle;
  workers: ChildProcessHandle[];
  client: TributaryClient;
  /** The observer's connection to the cluster's database (reads state and timestamps). */
  sql: postgres.Sql;
  /** Stops the processes (SIGTERM) and closes the connections. */
  stop(): Promise<void>;
}

/** How many workers, with how many slots each. */
export interface ClusterShape {
  workers: number;
  concurrency: number;
  /** Run every process with `--cpu-prof`, writing to `<dir>/coordinator`, `<dir>/worker-<n>`. */
  cpuProfDir?: string;
}

/** Node flags that make a process write a CPU profile when it exits (NODE_OPTIONS may not carry them). */
function profiling(shape: ClusterShape, name: string): string[] {
  if (shape.cpuProfDir === undefined) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${join(shape.cpuProfDir, name)}`];
}

// Production-like logs (JSON lines), metrics on a free port so processes never collide.
const PROCESS_ENV = { TRIBUTARY_METRICS_LISTEN: '127.0.0.1:0', TRIBUTARY_LOG_FORMAT: 'json' };
let clusterCount = 0;

/** Starts a coordinator and `shape.workers` workers and waits until all of them are up. */
export async function startBenchCluster(env: BenchEnvironment, shape: ClusterShape): Promise<BenchCluster> {
  const tag = `bench_${process.pid}_${++clusterCount}`;
  const databaseUrl = await env.pg.createDatabase(tag);
  const address = `127.0.0.1:${await freePort()}`;
  const serverEnv = {
    ...PROCESS_ENV,
    DATABASE_URL: databaseUrl,
    NATS_URL: env.nats.url,
    TRIBUTARY_NATS_PREFIX: tag,
  };
  const started: ChildProcessHandle[] = [];
  const sql = postgres(databaseUrl.replace('//postgres@', `//${OBSERVER_ROLE}@`), {
    max: 1,
    onnotice: () => {},
  });
  const client = createClient({ address });
  const stop = async () => {
    client.close();
    // Workers first, so none reports to a coordinator that is gone.
    await Promise.all(started.slice(1).map((worker) => worker.stop(30_000)));
    await started[0]?.stop(30_000);
    await sql.end({ timeout: 5 });
    // Each cluster's database only serves its own repetition; dropping it keeps the disk from filling.
    const admin = postgres(env.pg.url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${tag} WITH (FORCE)`).finally(() => admin.end());
  };
  try {
    const coordinatorArgs = [...profiling(shape, 'coordinator'), CLI, 'coordinator', '--listen', address];
    const coordinator = spawnProcess(process.execPath, coordinatorArgs, {
      name: 'coordinator',
      env: serverEnv,
    });
    started.push(coordinator);
    await coordinator.waitForOutput(/coordinator started/, 60_000);
    const workers: ChildProcessHandle[] = [];
    for (let i = 1; i <= shape.workers; i++) {
      const worker = spawnProcess(
        process.execPath,
        [...profiling(shape, `worker-${i}`), CLI, 'worker', '--concurrency', String(shape.concurrency)],
        {
          name: `worker-${i}`,
          env: { ...serverEnv, TRIBUTARY_SERVER: address },
        },
      );
      started.push(worker);
      workers.push(worker);
    }
    await Promise.all(workers.map((worker) => worker.waitForOutput(/worker started/, 60_000)));
    // Registered with the coordinator too (first heartbeat), so no task waits for a worker to show up.
    await waitFor(async () => ((await client.listWorkers()).length >= shape.workers ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: `${shape.workers} workers to register`,
    });
    return { database: tag, coordinator, workers, client, sql, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
