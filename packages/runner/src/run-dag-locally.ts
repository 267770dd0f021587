import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Code, type JsonObject, TributaryError } from '@tributary/core';
import { type ConnectionResolver, createExecutor, type TaskExecutor } from '@tributary/executors';
import type { RunEvent, RunSummary } from './events.js';
import { loadLocalDag } from './load.js';
import { LocalRun } from './local-run.js';
import { resolveOutputMaxBytes } from './output-limit.js';

/** What {@link runDagLocally} runs, and how. */
export interface LocalRunOptions {
  /** A DAG folder, or its spec file. */
  path: string;
  /** Run parameters; checked against the DAG's params schema, defaults applied. @default {} */
  params?: JsonObject;
  /** How many task attempts execute at once. @default os.availableParallelism() */
  concurrency?: number;
  /**
   * Outputs larger than this (bytes of UTF-8 JSON) fail their attempt with `OutputTooLarge`, as on the
   * workers (`TRIBUTARY_OUTPUT_MAX_BYTES`).
   * @default 67108864 (64 MiB)
   */
  outputMaxBytes?: number;
  /** Aborting it cancels the run: running attempts are stopped, nothing new starts. */
  signal?: AbortSignal;
  /** Called synchronously for every progress event, in order. It should not throw. */
  onEvent?: (event: RunEvent) => void;
  /**
   * The executor to run attempts with; the caller keeps ownership and closes it. When absent the
   * runner creates one and closes it when the run ends, so nothing keeps the process alive.
   */
  executor?: TaskExecutor;
  /**
   * Resolves sql tasks' connection names to Postgres URLs for the executor the runner creates (see
   * `createConnectionResolver` in @tributary/executors); ignored when `executor` is given.
   * @default no connections: sql tasks fail with `ConnectionNotConfigured`
   */
  connections?: ConnectionResolver;
}

/**
 * Runs a DAG on this machine, in memory, with the same engine the coordinator uses: no Postgres, no
 * NATS. Resolves with the summary once the run finished (succeeded, failed or cancelled) and every
 * attempt has stopped.
 *
 * @throws TributaryError `InvalidArgument` with `problems` when the spec or the params are invalid.
 */
export async function runDagLocally(options: LocalRunOptions): Promise<RunSummary> {
  const concurrency = options.concurrency ?? availableParallelism();
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new TributaryError(
      Code.InvalidArgument,
      `concurrency must be a positive integer, got ${concurrency}`,
      {
        problems: [{ field: 'concurrency', message: `must be a positive integer, got ${concurrency}` }],
      },
    );
  }
  const outputMaxBytes = resolveOutputMaxBytes(options.outputMaxBytes);
  const { dag, dir, params } = await loadLocalDag(options.path, options.params ?? {});
  const executor =
    options.executor ??
    createExecutor({
      maxThreads: Math.min(concurrency, availableParallelism()),
      ...(options.connections === undefined ? {} : { connections: options.connections }),
    });
  try {
    const run = new LocalRun({
      runId: randomUUID(),
      dag,
      bundleDir: dir,
      params,
      concurrency,
      outputMaxBytes,
      executor,
      onEvent: options.onEvent ?? (() => {}),
    });
    const { signal } = options;
    const onAbort = () => run.cancel(abortReason(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const finished = run.run();
      // Checked after starting so that an already-aborted signal still yields a (cancelled) summary.
      if (signal?.aborted) onAbort();
      return await finished;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  } finally {
    if (options.executor === undefined) await executor.close();
  }
}

function abortReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  if (typeof reason === 'string') return reason;
  return 'cancelled by the caller';
}
