import { TributaryError } from '@tributary/core';
import { createConnectionResolver, createSecretResolver } from '@tributary/executors';
import { type LogDestination, serveServiceMetrics, startTracing } from '@tributary/telemetry';
import { Registry } from 'prom-client';
import { type WorkerOptionsInput, workerOptionsFromEnv } from './options.js';
import { createWorkerLogger, startWorker } from './worker.js';

/**
 * Entry point of `tributary worker`: reads options from `env` and flags, starts the worker, and stops it
 * gracefully on SIGTERM or SIGINT (a second signal exits at once). Resolves when the worker has stopped.
 * @param logDestination - Where the service log goes. @default stderr
 * @throws TributaryError `InvalidArgument` for bad options; `Unavailable` when NATS cannot be reached.
 */
export async function runWorkerMain(
  flags: Partial<WorkerOptionsInput>,
  env: NodeJS.ProcessEnv = process.env,
  logDestination?: LogDestination,
): Promise<void> {
  const options = workerOptionsFromEnv(env, flags);
  const logger = createWorkerLogger(options, logDestination);
  // Configured by the standard OTEL_* variables; off (and not even loaded) without them. Node tasks'
  // pool threads start their own (see node-thread-tracing.ts).
  const tracing = await startTracing('tributary-worker', env);
  // A bad secrets file stops the worker at start (naming the file), not at its first sql task.
  const connections = createConnectionResolver({ env, secretsFile: options.secretsFile });
  const secrets = createSecretResolver({ env, secretsFile: options.secretsFile });
  // Bound first: an address in use stops the start before the worker connects to anything.
  const registry = new Registry();
  const metrics = await serveServiceMetrics(options.metricsListen, registry, logger, env);
  let worker: Awaited<ReturnType<typeof startWorker>>;
  try {
    worker = await startWorker(options, { logger, connections, secrets, registry });
  } catch (error) {
    await metrics?.close();
    await tracing.shutdown();
    throw error;
  }
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn('second signal, exiting now', { signal });
      process.exit(130);
    }
    signalled = true;
    logger.info('signal received, stopping gracefully', { signal });
    // stop() never rejects in practice; a failure is logged and the process still ends via `done`.
    worker
      .stop()
      .catch((error: unknown) => logger.error('stop failed', { error: TributaryError.from(error) }));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await worker.done;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await metrics?.close();
    // Exports the spans still pending: the last attempts'.
    await tracing.shutdown();
  }
}
