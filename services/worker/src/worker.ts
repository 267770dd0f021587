import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { type Bus, connectBus } from '@tributary/bus';
import { createClient, type TributaryClient } from '@tributary/client';
import type { Logger } from '@tributary/core';
import {
  type ConnectionResolver,
  createExecutor,
  removeOrphanContainers,
  type SecretResolver,
  type TaskExecutor,
} from '@tributary/executors';
import { timestamp } from '@tributary/proto';
import { createServiceLogger, type LogDestination } from '@tributary/telemetry';
import { Registry } from 'prom-client';
import { createApiDagTrigger } from './api-dag-trigger.js';
import { AttemptRegistry } from './attempts.js';
import { createBundleCache } from './bundle-cache.js';
import type { WorkerOptions } from './options.js';
import { runTask, SHUTDOWN, type TaskContext } from './run-task.js';
import { createWorkerMetrics } from './worker-metrics.js';

/** A started worker. */
export interface RunningWorker extends AsyncDisposable {
  readonly id: string;
  /** Its metrics (Prometheus), served by `tributary worker` on `metricsListen`. */
  readonly registry: Registry;
  /**
   * Graceful: stop pulling, let running tasks finish within shutdownGraceMs, then cancel them.
   * Idempotent.
   */
  stop(): Promise<void>;
  /** Resolves when the worker has stopped. */
  readonly done: Promise<void>;
}

/** What {@link startWorker} can be given instead of its defaults. */
export interface WorkerDeps {
  /** @default the service logger on stderr, at `options.logLevel` in `options.logFormat` */
  logger?: Logger;
  /** Resolves sql tasks' connection names to URLs. @default none: sql tasks fail with ConnectionNotConfigured */
  connections?: ConnectionResolver;
  /** Resolves the secrets tasks name to values. @default none: tasks that name one fail with SecretNotConfigured */
  secrets?: SecretResolver;
  /**
   * Where its metrics are registered: the caller's, when it serves them before the worker starts (an
   * address in use fails before anything else). @default a registry of its own
   */
  registry?: Registry;
}

// Read once: the version heartbeats report.
const VERSION = readVersion();

/**
 * Connects to NATS, ensures the topology and the pool consumers, and starts pulling tasks of every pool,
 * running at most `concurrency` at once, heartbeating meanwhile.
 * @throws TributaryError `Unavailable` when NATS cannot be reached.
 */
export async function startWorker(options: WorkerOptions, deps: WorkerDeps = {}): Promise<RunningWorker> {
  const logger = deps.logger ?? createWorkerLogger(options);
  const bus = await connectBus({
    servers: options.natsUrl.split(',').map((url) => url.trim()),
    ...(options.natsAuth === undefined ? {} : { auth: options.natsAuth }),
    prefix: options.prefix,
    name: `tributary-worker ${options.workerId}`,
    taskAckWaitMs: options.taskAckWaitMs,
    onStatus: (status) => logger.warn('nats connection', { status }),
  });
  try {
    await bus.ensureTopology();
    for (const pool of options.pools) await bus.ensurePool(pool);
  } catch (error) {
    await bus.close();
    throw error;
  }
  // Connects lazily: a worker that never runs a dag task never dials the coordinator.
  const api = createClient({ address: options.server });
  const executor = createExecutor({
    maxThreads: options.concurrency,
    killGraceMs: options.killGraceMs,
    ...(deps.connections === undefined ? {} : { connections: deps.connections }),
    ...(deps.secrets === undefined ? {} : { secrets: deps.secrets }),
    dags: createApiDagTrigger(api),
    containerSocket: options.containerSocket,
    allowedVolumes: options.containerVolumes,
    containerOwner: options.containerOwner,
  });
  // Before the first task: a container left by a crashed run of this worker would hold its resources.
  await removeContainerOrphans(options, logger);
  return new Worker(options, bus, executor, logger, api, deps.registry ?? new Registry());
}

/**
 * Removes the containers a crashed run of this worker left (see `removeOrphanContainers`). A worker
 * without a container engine is normal: an unreachable engine is noted at debug level, and no failure
 * here stops the worker, whose tasks of other kinds do not need an engine.
 */
async function removeContainerOrphans(options: WorkerOptions, logger: Logger): Promise<void> {
  try {
    const removed = await removeOrphanContainers({
      socket: options.containerSocket,
      owner: options.containerOwner,
    });
    if (removed.length > 0)
      logger.info('removed orphan task containers', { count: removed.length, ids: removed });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const unreachable = code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES';
    const fields = { socket: options.containerSocket, error };
    if (unreachable)
      logger.debug('no container engine answers; container tasks will fail until one does', fields);
    else logger.warn('could not remove orphan task containers', fields);
  }
}

class Worker implements RunningWorker {
  readonly done: Promise<void>;
  private readonly attempts = new AttemptRegistry();
  private readonly pulling = new AbortController();
  private readonly hardStop = new AbortController();
  private readonly startedAt = Date.now();
  private readonly tasks = new Set<Promise<void>>();
  private readonly loops: Promise<void>[];
  private readonly unsubscribeCancels: () => void;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private stopping: Promise<void> | undefined;
  private resolveDone: () => void = () => {};

  constructor(
    private readonly options: WorkerOptions,
    private readonly bus: Bus,
    private readonly executor: TaskExecutor,
    private readonly logger: Logger,
    /** The coordinator's API, for dag tasks; closed after the executor, whose dag tasks use it. */
    private readonly api: TributaryClient,
    readonly registry: Registry,
  ) {
    const context: TaskContext = {
      bus,
      executor,
      bundles: createBundleCache(options.cacheDir, (hash) => bus.bundles.get(hash)),
      attempts: this.attempts,
      logger,
      workerId: options.workerId,
      workingIntervalMs: Math.max(100, Math.min(options.heartbeatIntervalMs, options.taskAckWaitMs / 3)),
      hardStop: this.hardStop.signal,
      outputLimits: { inlineLimitBytes: options.outputInlineLimitBytes, maxBytes: options.outputMaxBytes },
    };
    this.unsubscribeCancels = bus.subscribeCancels((notice) => {
      const aborted = this.attempts.cancel(notice);
      logger.info('cancel notice', {
        runId: notice.runId,
        taskId: notice.taskId,
        attempt: notice.attempt,
        aborted,
      });
    });
    const metrics = createWorkerMetrics({
      registry,
      pools: options.pools,
      concurrency: options.concurrency,
      running: (pool) => this.attempts.countIn(pool),
    });
    this.loops = options.pools.map((pool) =>
      this.consume(pool, { ...context, observer: metrics.observerFor(pool) }),
    );
    this.heartbeatTimer = setInterval(() => this.heartbeat(false), options.heartbeatIntervalMs);
    this.heartbeat(false);
    logger.info('worker started', {
      pools: options.pools,
      concurrency: options.concurrency,
      version: VERSION,
    });
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  get id(): string {
    return this.options.workerId;
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  private consume(pool: string, context: TaskContext): Promise<void> {
    const { concurrency } = this.options;
    return this.bus.consumeTasks({
      pool,
      signal: this.pulling.signal,
      // One budget for all pools: what the others are not using, plus what this pool already holds.
      maxInFlight: () => concurrency - this.attempts.size + this.attempts.countIn(pool),
      handle: (delivery) => this.track(runTask(context, delivery, pool)),
      onError: (error) => {
        this.logger.warn('task consumer error', { pool, error });
        // The pool's consumer may be gone with the broker's data: create it again (it is idempotent).
        // Until the coordinator has created the stream again, this fails too, and the next error retries.
        void this.bus.ensurePool(pool).catch(() => undefined);
      },
    });
  }

  /** Remembers a running task until it settles, so that stop() can wait for it. */
  private track(task: Promise<void>): Promise<void> {
    this.tasks.add(task);
    return task.finally(() => this.tasks.delete(task));
  }

  private heartbeat(stopping: boolean): void {
    try {
      this.bus.publishHeartbeat({
        workerId: this.options.workerId,
        host: hostname(),
        pools: this.options.pools,
        concurrency: this.options.concurrency,
        version: VERSION,
        startedAt: timestamp(this.startedAt),
        running: this.attempts.list(),
        stopping,
      });
    } catch (error) {
      // Only when the connection is closed; the next beat tries again.
      this.logger.warn('heartbeat failed', { error });
    }
  }

  private async shutdown(): Promise<void> {
    const { shutdownGraceMs, killGraceMs } = this.options;
    this.logger.info('worker stopping', { running: this.attempts.size });
    this.pulling.abort();
    this.heartbeat(true);
    await Promise.all(this.loops);
    if (!(await this.settleWithin(shutdownGraceMs))) {
      this.logger.warn('grace period over, cancelling running tasks', { running: this.attempts.list() });
      this.attempts.abortAll(SHUTDOWN);
      // The executor gives each process killGraceMs after the abort; allow a little on top for the nak.
      await this.settleWithin(killGraceMs + 2_000);
    }
    // Anything still retrying a publish gives up: its task will be redelivered after the ack wait.
    this.hardStop.abort();
    await this.settleWithin(5_000);
    clearInterval(this.heartbeatTimer);
    this.heartbeat(true);
    this.unsubscribeCancels();
    await this.executor.close();
    this.api.close();
    await this.bus.close();
    this.logger.info('worker stopped');
    this.resolveDone();
  }

  /** Waits until every tracked task settled or `ms` passed; true when they all settled. */
  private async settleWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const all = Promise.allSettled([...this.tasks]).then(() => true as const);
    try {
      return await Promise.race([all, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The worker's service logger: every line tagged with the service and the worker id.
 * @param destination - @default stderr
 */
export function createWorkerLogger(
  options: Pick<WorkerOptions, 'workerId' | 'logLevel' | 'logFormat'>,
  destination?: LogDestination,
): Logger {
  return createServiceLogger({
    base: { service: 'worker', workerId: options.workerId },
    level: options.logLevel,
    format: options.logFormat,
    ...(destination === undefined ? {} : { destination }),
  });
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
