import { type Bus, connectBus } from '@tributary/bus';
import type { Logger } from '@tributary/core';
import { createDatabase, type Database, migrate } from '@tributary/db';
import { ActiveRuns } from './active-runs.js';
import { type GrpcServer, startGrpcServer } from './grpc-server.js';
import type { CoordinatorOptions } from './options.js';
import { RunLoop } from './run-loop.js';
import {
  recordHeartbeats,
  relayOutbox,
  type SweepDeps,
  startQueuedRuns,
  sweepDueRetries,
  sweepLostTasks,
  sweepRunDeadlines,
  wakeRunsWaitingForTaskSlots,
} from './sweeps.js';
import { WatchHub } from './watch-hub.js';

/** A started coordinator. */
export interface RunningCoordinator extends AsyncDisposable {
  /** The gRPC address it serves, with the real port. */
  readonly address: string;
  /** Stops serving, finishes in-flight transactions and publishes, and closes connections. */
  stop(): Promise<void>;
}

/** How long in-flight API calls (e.g. WatchRun streams) get to finish on shutdown. */
const API_SHUTDOWN_GRACE_MS = 2_000;

/**
 * Starts a coordinator: migrates Postgres, creates the NATS topology, then runs the run loop, the
 * worker-event consumer, the timer sweeps and the gRPC server until stopped.
 */
export async function startCoordinator(
  options: CoordinatorOptions,
  logger: Logger,
): Promise<RunningCoordinator> {
  const db = createDatabase({ url: options.databaseUrl });
  let bus: Bus | undefined;
  try {
    const applied = await migrate(db.sql);
    if (applied.length > 0) logger.info('database migrated', { applied });
    bus = await connectBus({
      servers: options.natsUrl.split(','),
      prefix: options.prefix,
      name: 'tributary-coordinator',
      taskAckWaitMs: options.taskAckWaitMs,
      onStatus: (status) => logger.info('nats connection', { status }),
    });
    await bus.ensureTopology();
  } catch (error) {
    await bus?.close();
    await db.close();
    throw error;
  }
  return run(options, logger, db, bus);
}

async function run(
  options: CoordinatorOptions,
  logger: Logger,
  db: Database,
  bus: Bus,
): Promise<RunningCoordinator> {
  const runs = new ActiveRuns(db);
  const hub = new WatchHub();
  const loop = new RunLoop({ db, bus, runs, hub, logger });
  loop.start();
  const stopping = new AbortController();
  const signal = stopping.signal;
  const sweepDeps: SweepDeps = { db, bus, loop, logger, options, signal };
  const background = [
    bus.consumeWorkerEvents({
      signal,
      batchSize: options.maxBatch,
      handle: (batch) => loop.applyWorkerEvents(batch.map((received) => received.event)),
      onError: (error) => logger.warn('worker event consumer', { error: String(error) }),
    }),
    sweepDueRetries(sweepDeps),
    sweepRunDeadlines(sweepDeps),
    startQueuedRuns(sweepDeps),
    wakeRunsWaitingForTaskSlots(sweepDeps),
    sweepLostTasks(sweepDeps),
    relayOutbox(sweepDeps),
    recordHeartbeats(sweepDeps),
  ];
  let server: GrpcServer;
  try {
    server = await startGrpcServer(options.listen, { db, bus, runs, loop, hub }, logger);
  } catch (error) {
    stopping.abort();
    await Promise.allSettled(background);
    await loop.stop();
    await bus.close();
    await db.close();
    throw error;
  }
  logger.info('coordinator started', { listen: server.address, prefix: options.prefix });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await server.stop(API_SHUTDOWN_GRACE_MS);
      stopping.abort();
      await Promise.allSettled(background);
      await loop.stop();
      await bus.close();
      await db.close();
      logger.info('coordinator stopped');
    })();
    return stopped;
  };
  return { address: server.address, stop, [Symbol.asyncDispose]: stop };
}
