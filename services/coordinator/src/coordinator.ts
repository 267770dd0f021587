import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { type Bus, connectBus } from '@tributary/bus';
import type { Logger } from '@tributary/core';
import { createDatabase, type Database, migrate } from '@tributary/db';
import { Registry } from 'prom-client';
import { ActiveRuns } from './active-runs.js';
import { AfterIndex } from './after-index.js';
import { type LocalTerm, WriteRoute } from './api/write-route.js';
import { type Clock, systemClock } from './clock.js';
import { type CoordinatorMetrics, createCoordinatorMetrics } from './coordinator-metrics.js';
import { EventTriggers } from './event-triggers.js';
import { type GrpcServer, startGrpcServer } from './grpc-server.js';
import { LEADER_LEASE, Leadership, type Term } from './leadership.js';
import type { CoordinatorOptions } from './options.js';
import { RunLoop } from './run-loop.js';
import { RunTracing } from './run-tracing.js';
import { Scheduler } from './scheduler.js';
import {
  type EventProgress,
  recordHeartbeats,
  recoverLostTaskMessages,
  relayOutbox,
  type SweepDeps,
  startQueuedRuns,
  sweepDueRetries,
  sweepLostTasks,
  sweepQueueDeadlines,
  sweepRunDeadlines,
  wakeRunsHoldingTasks,
} from './sweeps.js';
import { WatchHub } from './watch-hub.js';

/** A started coordinator. */
export interface RunningCoordinator extends AsyncDisposable {
  /** The gRPC address it serves, with the real port. */
  readonly address: string;
  /** Its metrics (Prometheus), served by `tributary coordinator` on `metricsListen`. */
  readonly registry: Registry;
  /** Stops serving, finishes in-flight transactions and publishes, and closes connections. */
  stop(): Promise<void>;
}

/** How long in-flight API calls (e.g. WatchRun streams) get to finish on shutdown. */
const API_SHUTDOWN_GRACE_MS = 2_000;

/**
 * Starts a coordinator: migrates Postgres, creates the NATS topology, serves the gRPC API, and competes
 * for the leader lease. While it leads it runs the run loop, the worker-event consumer and the sweeps;
 * otherwise it serves reads and forwards writes to the leader. Alone, it leads.
 */
export async function startCoordinator(
  options: CoordinatorOptions,
  logger: Logger,
  deps: CoordinatorDeps = {},
): Promise<RunningCoordinator> {
  // A coordinator frozen inside a transaction holds the lease row locked: the server ends it after a
  // lease TTL, so that another coordinator can take over.
  const db = createDatabase({
    url: options.databaseUrl,
    idleInTransactionTimeoutMs: options.leaseTtlMs,
    onConnectionClosed: (connection) =>
      logger.warn('postgres connection closed; the next query reconnects', { connection }),
  });
  let bus: Bus | undefined;
  try {
    const applied = await migrate(db.sql);
    if (applied.length > 0) logger.info('database migrated', { applied });
    bus = await connectBus({
      servers: options.natsUrl.split(','),
      ...(options.natsAuth === undefined ? {} : { auth: options.natsAuth }),
      prefix: options.prefix,
      name: 'tributary-coordinator',
      logLimits: { retentionMs: options.logRetentionMs, maxBytes: options.logMaxBytes },
      onStatus: (status) => logger.info('nats connection', { status }),
    });
    await bus.ensureTopology();
  } catch (error) {
    await bus?.close();
    await db.close();
    throw error;
  }
  return run(options, logger, db, bus, deps.registry ?? new Registry(), deps.clock ?? systemClock);
}

/** What {@link startCoordinator} can be given instead of its defaults. */
export interface CoordinatorDeps {
  /**
   * Where its metrics are registered: the caller's, when it serves them before the coordinator starts
   * (an address in use fails before anything else). @default a registry of its own
   */
  registry?: Registry;
  /** The time schedules go by. @default the system clock */
  clock?: Clock;
}

async function run(
  options: CoordinatorOptions,
  logger: Logger,
  db: Database,
  bus: Bus,
  registry: Registry,
  clock: Clock,
): Promise<RunningCoordinator> {
  const { unsafe } = options;
  if (unsafe.disableLostTaskSweep || unsafe.disableFencing)
    logger.warn('UNSAFE: safeguards are off (test-only switches)', { ...unsafe });
  const hub = new WatchHub();
  // The leadership needs the server's address, and the server the route: both are set before any call.
  let leadership: Leadership | undefined;
  let server: GrpcServer | undefined;
  const route = new WriteRoute(
    () => leadership?.leaderAddress ?? null,
    () => server?.address ?? '',
    options.leaseTtlMs + 2_000,
  );
  try {
    server = await startGrpcServer(
      options.listen,
      { db, bus, hub, route, heartbeatTimeoutMs: options.heartbeatTimeoutMs },
      logger,
    );
  } catch (error) {
    await bus.close();
    await db.close();
    throw error;
  }
  const serving = server;
  const { address } = serving;
  let term: LeaderTerm | undefined;
  const metrics = createCoordinatorMetrics({
    registry,
    isLeader: () => (leadership?.term ?? null) !== null,
    sql: db.sql,
    logger,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs,
  });
  leadership = new Leadership({
    sql: db.sql,
    identity: `${hostname()}/${address}`,
    address,
    ttlMs: options.leaseTtlMs,
    logger,
    onElected: async (elected) => {
      term = startTerm(elected, { options, logger, db, bus, hub, metrics, clock }, (from) =>
        leadership?.renewed(from),
      );
      route.lead(term);
    },
    onDeposed: async () => {
      route.follow();
      hub.interruptAll();
      await term?.stop();
      term = undefined;
    },
  });
  // The first claim before announcing the start: alone, this coordinator leads from its first moment.
  await leadership.claim();
  const stopping = new AbortController();
  const leading = leadership.run(stopping.signal);
  logger.info('coordinator started', {
    listen: address,
    prefix: options.prefix,
    leader: leadership.term !== null,
  });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await serving.stop(API_SHUTDOWN_GRACE_MS);
      stopping.abort();
      await leading;
      // Ends the term (the run loop finishes its queued inputs) and hands the lease over at once.
      await leadership!.release();
      route.close();
      await bus.close();
      await db.close();
      logger.info('coordinator stopped');
    })();
    return stopped;
  };
  return { address, registry, stop, [Symbol.asyncDispose]: stop };
}

/** The work of a leader, for one term: the run loop, the worker-event consumer and the sweeps. */
interface LeaderTerm extends LocalTerm {
  /** Stops consuming and sweeping and lets the run loop finish its queued inputs. */
  stop(): Promise<void>;
}

function startTerm(
  term: Term,
  deps: {
    options: CoordinatorOptions;
    logger: Logger;
    db: Database;
    bus: Bus;
    hub: WatchHub;
    metrics: CoordinatorMetrics;
    clock: Clock;
  },
  onRenewed: (from: number) => void,
): LeaderTerm {
  const { options, logger, db, bus, hub, metrics, clock } = deps;
  const { unsafe } = options;
  // A cache of its own per term: what an earlier term left in memory may be stale by now.
  const runs = new ActiveRuns(db);
  const afterIndex = new AfterIndex();
  const loop = new RunLoop({
    afterIndex,
    db,
    bus,
    runs,
    observers: [new RunTracing(), metrics.observer],
    timings: metrics.timings,
    hub,
    logger,
    disableFencing: unsafe.disableFencing,
    maxDispatchesPerTick: options.maxDispatchesPerTick,
    fence: { lease: LEADER_LEASE, ...term, ttlMs: options.leaseTtlMs, onRenewed },
  });
  loop.start();
  const stopping = new AbortController();
  const signal = stopping.signal;
  // Every sweep and the consumer wait on this one signal at once: more listeners than Node's default 10.
  setMaxListeners(32, signal);
  const events: EventProgress = { caughtUpAt: 0 };
  const sweepDeps: SweepDeps = { db, bus, loop, logger, options, signal, events };
  const background = [
    bus.consumeWorkerEvents({
      signal,
      batchSize: options.maxBatch,
      handle: (batch) => loop.applyWorkerEvents(batch.map((received) => received.event)),
      onError: (error) => logger.warn('worker event consumer', { error: String(error) }),
      onCaughtUp: (asOf) => {
        events.caughtUpAt = asOf;
      },
    }),
    sweepDueRetries(sweepDeps),
    sweepRunDeadlines(sweepDeps),
    sweepQueueDeadlines(sweepDeps),
    startQueuedRuns(sweepDeps),
    wakeRunsHoldingTasks(sweepDeps),
    ...(unsafe.disableLostTaskSweep ? [] : [sweepLostTasks(sweepDeps)]),
    relayOutbox(sweepDeps),
    recoverLostTaskMessages(sweepDeps),
    recordHeartbeats(sweepDeps),
    new Scheduler({
      db,
      loop,
      runs,
      afterIndex,
      clock,
      logger,
      onScheduledRunLag: (seconds) => metrics.scheduleLag.observe(seconds),
    }).run(signal),
    new EventTriggers({ db, bus, loop, runs, logger, metrics }).run(signal),
  ];
  return {
    loop,
    runs,
    afterIndex,
    async stop() {
      stopping.abort();
      await Promise.allSettled(background);
      await loop.stop();
    },
  };
}
