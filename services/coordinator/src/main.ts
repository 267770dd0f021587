import { createJsonLogger, TributaryError } from '@tributary/core';
import { EXIT_SCHEMA_TOO_NEW, SchemaTooNewError } from '@tributary/db';
import { startCoordinator } from './coordinator.js';
import { type CoordinatorOptions, compileCoordinatorOptions } from './options.js';

/** Flags of `tributary coordinator`; each overrides its environment variable. */
export interface CoordinatorFlags {
  listen?: string;
  databaseUrl?: string;
  natsUrl?: string;
}

/** Reads the coordinator's options from the environment, with flags taking precedence. */
export function coordinatorOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  flags: CoordinatorFlags = {},
): CoordinatorOptions {
  const int = (name: string) => (env[name] === undefined ? undefined : Number(env[name]));
  return compileCoordinatorOptions({
    listen: flags.listen ?? env.TRIBUTARY_LISTEN,
    databaseUrl: flags.databaseUrl ?? env.DATABASE_URL,
    natsUrl: flags.natsUrl ?? env.NATS_URL,
    prefix: env.TRIBUTARY_NATS_PREFIX,
    heartbeatTimeoutMs: int('TRIBUTARY_HEARTBEAT_TIMEOUT_MS'),
    timerIntervalMs: int('TRIBUTARY_TIMER_INTERVAL_MS'),
    leaseTtlMs: int('TRIBUTARY_LEASE_TTL_MS'),
    maxDispatchesPerTick: int('TRIBUTARY_MAX_DISPATCHES_PER_TICK'),
    outboxRelayIntervalMs: int('TRIBUTARY_OUTBOX_RELAY_INTERVAL_MS'),
    workerRetentionMs: int('TRIBUTARY_WORKER_RETENTION_MS'),
    unsafe: {
      disableLostTaskSweep: isSet(env.TRIBUTARY_UNSAFE_DISABLE_LOST_TASK_SWEEP),
      disableFencing: isSet(env.TRIBUTARY_UNSAFE_DISABLE_FENCING),
    },
  } as Partial<CoordinatorOptions>);
}

function isSet(value: string | undefined): boolean {
  return value === '1' || value === 'true';
}

/**
 * Runs a coordinator until SIGTERM or SIGINT, then stops it cleanly (in-flight transactions finish).
 * Used by `tributary coordinator`. Sets process.exitCode on failure instead of exiting, so that
 * everything logged reaches its destination.
 */
export async function runCoordinatorMain(
  flags: CoordinatorFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const logger = createJsonLogger({ service: 'coordinator' });
  let coordinator: Awaited<ReturnType<typeof startCoordinator>>;
  try {
    coordinator = await startCoordinator(coordinatorOptionsFromEnv(env, flags), logger);
  } catch (error) {
    const message = error instanceof TributaryError ? error.toString() : String(error);
    logger.error('coordinator failed to start', { error: message });
    process.exitCode = error instanceof SchemaTooNewError ? EXIT_SCHEMA_TOO_NEW : 1;
    return;
  }
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info('stopping', { signal });
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      coordinator.stop().then(resolve, (error: unknown) => {
        logger.error('stopping failed', { error: String(error) });
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
