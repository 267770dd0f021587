import { natsAuthFromEnv } from '@tributary/bus';
import { TributaryError } from '@tributary/core';
import { EXIT_SCHEMA_TOO_NEW, SchemaTooNewError } from '@tributary/db';
import {
  createServiceLogger,
  type LogFormat,
  type LogLevel,
  type MetricsServer,
  parseLogFormat,
  parseLogLevel,
  serveServiceMetrics,
  startTracing,
  type Tracing,
} from '@tributary/telemetry';
import { Registry } from 'prom-client';
import { startCoordinator } from './coordinator.js';
import { parseLogMaxBytes, parseLogRetention } from './log-limits.js';
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
    natsAuth: natsAuthFromEnv(env),
    prefix: env.TRIBUTARY_NATS_PREFIX,
    heartbeatTimeoutMs: int('TRIBUTARY_HEARTBEAT_TIMEOUT_MS'),
    timerIntervalMs: int('TRIBUTARY_TIMER_INTERVAL_MS'),
    leaseTtlMs: int('TRIBUTARY_LEASE_TTL_MS'),
    maxDispatchesPerTick: int('TRIBUTARY_MAX_DISPATCHES_PER_TICK'),
    outboxRelayIntervalMs: int('TRIBUTARY_OUTBOX_RELAY_INTERVAL_MS'),
    workerRetentionMs: int('TRIBUTARY_WORKER_RETENTION_MS'),
    logRetentionMs: parseLogRetention(env.TRIBUTARY_LOG_RETENTION, 'TRIBUTARY_LOG_RETENTION'),
    logMaxBytes: parseLogMaxBytes(env.TRIBUTARY_LOG_MAX_BYTES, 'TRIBUTARY_LOG_MAX_BYTES'),
    metricsListen: env.TRIBUTARY_METRICS_LISTEN || undefined,
    // Parsed here so that a bad value names its variable rather than the option.
    logLevel: parseLogLevel(env.TRIBUTARY_LOG_LEVEL, 'TRIBUTARY_LOG_LEVEL'),
    logFormat: parseLogFormat(env.TRIBUTARY_LOG_FORMAT, 'TRIBUTARY_LOG_FORMAT'),
    unsafe: {
      disableLostTaskSweep: isSet(env.TRIBUTARY_UNSAFE_DISABLE_LOST_TASK_SWEEP),
      disableFencing: isSet(env.TRIBUTARY_UNSAFE_DISABLE_FENCING),
    },
  } as Partial<CoordinatorOptions>);
}

/**
 * The log settings of `env`, an invalid one left at its default: compiling the options then rejects it,
 * and the failure is logged in the form asked for whenever that setting itself is valid.
 */
function logSettingsOrDefaults(env: NodeJS.ProcessEnv): { level?: LogLevel; format?: LogFormat } {
  const valid = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch {
      return undefined;
    }
  };
  return {
    level: valid(() => parseLogLevel(env.TRIBUTARY_LOG_LEVEL, 'TRIBUTARY_LOG_LEVEL')),
    format: valid(() => parseLogFormat(env.TRIBUTARY_LOG_FORMAT, 'TRIBUTARY_LOG_FORMAT')),
  };
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
  const base = { service: 'coordinator' };
  // Bad options are logged too, so a logger exists before they are compiled.
  let logger = createServiceLogger({ base, ...logSettingsOrDefaults(env) });
  let coordinator: Awaited<ReturnType<typeof startCoordinator>>;
  let metrics: MetricsServer | undefined;
  let tracing: Tracing | undefined;
  try {
    const options = coordinatorOptionsFromEnv(env, flags);
    logger = createServiceLogger({ base, level: options.logLevel, format: options.logFormat });
    // Configured by the standard OTEL_* variables; off (and not even loaded) without them.
    tracing = await startTracing('tributary-coordinator', env);
    // Bound first: an address in use stops the start before the coordinator touches anything.
    const registry = new Registry();
    metrics = await serveServiceMetrics(options.metricsListen, registry, logger, env);
    coordinator = await startCoordinator(options, logger, { registry });
  } catch (error) {
    await metrics?.close();
    await tracing?.shutdown();
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
      coordinator
        .stop()
        .catch((error: unknown) => {
          logger.error('stopping failed', { error: String(error) });
          process.exitCode = 1;
        })
        .then(() => metrics?.close())
        // Exports the spans still pending: the runs that finished last.
        .then(() => tracing?.shutdown())
        .then(resolve, resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
