import { join } from 'node:path';
import { createClient, type TributaryClient } from '@tributary/client';
import {
  type ChildProcessHandle,
  freePort,
  type NatsServer,
  type PostgresServer,
  spawnProcess,
  startNats,
  startPostgres,
} from '../harness/index.js';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(REPO_ROOT, 'packages', 'cli', 'dist', 'main.js');

/** A coordinator and workers, as separate processes started through the CLI, on their own servers. */
export interface Cluster {
  pg: PostgresServer;
  nats: NatsServer;
  databaseUrl: string;
  address: string;
  /** The coordinator started last. */
  coordinator: ChildProcessHandle;
  workers: ChildProcessHandle[];
  client: TributaryClient;
  startWorker(spec?: WorkerSpec): Promise<ChildProcessHandle>;
  /**
   * Starts a coordinator (again) on the same database and NATS server: on the cluster's address by
   * default (then `coordinator` follows it), or on another one (a second coordinator, for failover).
   */
  startCoordinator(address?: string): Promise<ChildProcessHandle>;
}

/** Coordinator settings that make fault tests fast: lost tasks are found within seconds. */
const COORDINATOR_ENV = {
  TRIBUTARY_HEARTBEAT_TIMEOUT_MS: '3000',
  TRIBUTARY_TIMER_INTERVAL_MS: '200',
};

/**
 * Every process serves its metrics on a free port (tests and their processes run in parallel, so the
 * default ports would collide); {@link metricsAddress} reads which one from its log. Logs are JSON lines
 * whatever the developer's shell sets, since tests read them. A test's own env wins.
 */
const PROCESS_ENV = { TRIBUTARY_METRICS_LISTEN: '127.0.0.1:0', TRIBUTARY_LOG_FORMAT: 'json' };

/**
 * The `host:port` a coordinator or worker process serves its metrics on, read from its
 * `metrics listening` log line (waiting for it).
 * @throws Error when the process does not log one within the timeout.
 */
export async function metricsAddress(process: ChildProcessHandle, timeoutMs = 10_000): Promise<string> {
  await process.waitForOutput(/"msg":"metrics listening"/, timeoutMs);
  for (const line of process.output().split('\n')) {
    if (!line.includes('"msg":"metrics listening"')) continue;
    const { address } = JSON.parse(line) as { address?: unknown };
    if (typeof address === 'string') return address;
  }
  throw new Error(`${process.name} logged 'metrics listening' without an address`);
}

/** How to start one worker. */
export interface WorkerSpec {
  /** @default ['default'] */
  pools?: readonly string[];
  /** @default 4 */
  concurrency?: number;
  /** Extra environment, over the cluster's. */
  env?: Record<string, string>;
}

/** How to start a cluster. */
export interface ClusterOptions {
  workers: number;
  /** Coordinator environment over the fast-fault defaults (e.g. a shorter ack wait). */
  coordinatorEnv?: Record<string, string>;
  /**
   * How the coordinators and workers reach Postgres and NATS (through a latency proxy, say): given the
   * servers, the URLs they use. Tests' own connections go straight to the servers. @default direct
   */
  route?: (servers: {
    pg: PostgresServer;
    nats: NatsServer;
  }) => Promise<{ pgPort: number; natsPort: number }>;
  /**
   * Extra environment of the workers, given the cluster's database URL (e.g. sql connections) and the
   * coordinator's API address (every worker gets it as TRIBUTARY_SERVER anyway, for dag tasks).
   */
  workerEnv?: (databaseUrl: string, address: string) => Record<string, string>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const [pg, nats] = await Promise.all([startPostgres(), startNats()]);
  const databaseUrl = await pg.createDatabase('tributary');
  const address = `127.0.0.1:${await freePort()}`;
  // What the cluster's processes connect to: the servers, or whatever the test puts in between.
  const routed = await options.route?.({ pg, nats });
  const processDatabaseUrl =
    routed === undefined ? databaseUrl : databaseUrl.replace(`:${pg.port}/`, `:${routed.pgPort}/`);
  const processNatsUrl = routed === undefined ? nats.url : `nats://127.0.0.1:${routed.natsPort}`;
  const startCoordinator = async (listen = address) => {
    const coordinator = spawnProcess(
      process.execPath,
      [
        CLI,
        'coordinator',
        '--listen',
        listen,
        '--database-url',
        processDatabaseUrl,
        '--nats-url',
        processNatsUrl,
      ],
      {
        name: listen === address ? 'coordinator' : `coordinator ${listen}`,
        env: { ...COORDINATOR_ENV, ...PROCESS_ENV, ...options.coordinatorEnv },
      },
    );
    await coordinator.waitForOutput(/coordinator started/, 30_000);
    // The cluster's handle follows the latest coordinator, so a test can kill a restarted one.
    if (cluster !== undefined && listen === address) cluster.coordinator = coordinator;
    return coordinator;
  };
  let cluster: Cluster | undefined;
  const coordinator = await startCoordinator();
  const startWorker = async (spec: WorkerSpec = {}) => {
    const pools = (spec.pools ?? ['default']).flatMap((pool) => ['--pool', pool]);
    const concurrency = String(spec.concurrency ?? 4);
    const worker = spawnProcess(
      process.execPath,
      [CLI, 'worker', ...pools, '--concurrency', concurrency, '--nats-url', processNatsUrl],
      {
        name: `worker-${workers.length + 1}`,
        env: {
          ...PROCESS_ENV,
          TRIBUTARY_HEARTBEAT_INTERVAL_MS: '500',
          // JetStream redelivers only what a worker holds this long without progress.
          TRIBUTARY_TASK_ACK_WAIT_MS: '60000',
          // dag tasks trigger and follow their child runs through the coordinator's API.
          TRIBUTARY_SERVER: address,
          ...options.workerEnv?.(databaseUrl, address),
          ...spec.env,
        },
      },
    );
    await worker.waitForOutput(/worker started/, 30_000);
    workers.push(worker);
    return worker;
  };
  const workers: ChildProcessHandle[] = [];
  for (let i = 0; i < options.workers; i++) await startWorker();
  const client = createClient({ address });
  cluster = { pg, nats, databaseUrl, address, coordinator, workers, client, startWorker, startCoordinator };
  return cluster;
}
