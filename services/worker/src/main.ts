import { createJsonLogger, TributaryError } from '@tributary/core';
import { createConnectionResolver } from '@tributary/executors';
import { type WorkerOptionsInput, workerOptionsFromEnv } from './options.js';
import { startWorker } from './worker.js';

/**
 * Entry point of `tributary worker`: reads options from `env` and flags, starts the worker, and stops it
 * gracefully on SIGTERM or SIGINT (a second signal exits at once). Resolves when the worker has stopped.
 * @throws TributaryError `InvalidArgument` for bad options; `Unavailable` when NATS cannot be reached.
 */
export async function runWorkerMain(
  flags: Partial<WorkerOptionsInput>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const options = workerOptionsFromEnv(env, flags);
  const logger = createJsonLogger({ service: 'worker', workerId: options.workerId });
  // A bad secrets file stops the worker at start (naming the file), not at its first sql task.
  const connections = createConnectionResolver({ env, secretsFile: options.secretsFile });
  const worker = await startWorker(options, { logger, connections });
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
  }
}
