import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Code, type JsonObject, TributaryError } from '@tributary/core';
import {
  type ConnectionResolver,
  createExecutor,
  type SecretResolver,
  type TaskExecutor,
} from '@tributary/executors';
import type { DataInterval } from '@tributary/schedule';
import { dataIntervalFor } from './data-interval.js';
import type { RunEvent, RunSummary } from './events.js';
import { type LocalDag, loadLocalDag } from './load.js';
import { createLocalDagTrigger, type LocalDagTrigger } from './local-dag-trigger.js';
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
  /**
   * Resolves the secrets tasks name (`secrets: [API_TOKEN]`) to their values for the executor the runner
   * creates (see `createSecretResolver` in @tributary/executors; `tributary run` reads
   * `TRIBUTARY_SECRET_<NAME>` and the secrets file, as a worker does); ignored when `executor` is given.
   * @default no secrets: tasks that name one fail with `SecretNotConfigured`
   */
  secrets?: SecretResolver;
  /**
   * Where dag tasks find the DAGs they trigger: each subfolder's spec `name` is matched. Child runs run
   * in this process, with the same executor, and this call resolves only once they all ended. Ignored
   * when `executor` is given (its own `dags` trigger decides).
   * @default the DAG folder's parent, so that sibling folders can trigger each other
   */
  dagsDir?: string;
  /** The run's id. @default a random UUID */
  runId?: string;
  /**
   * Run the DAG as its scheduled run for this logical date (epoch ms) would run: the data interval is
   * from it to the schedule's next fire time, or [date, date] for a DAG without a schedule. Runs that
   * dag tasks trigger keep their own start time. The summary carries the interval.
   * @default none: the logical date is the run's start time, the interval [start, start]
   */
  logicalDate?: number;
}

/** Settings every run of one local invocation shares, children included. */
interface SharedRun {
  concurrency: number;
  outputMaxBytes: number;
  executor: TaskExecutor;
}

/**
 * Runs a DAG on this machine, in memory, with the same engine the coordinator uses: no Postgres, no
 * NATS. Resolves with the summary once the run finished (succeeded, failed or cancelled) and every
 * attempt has stopped.
 *
 * @throws TributaryError `InvalidArgument` with `problems` when the spec or the params are invalid, or
 *   when `logicalDate` is not a fire time of the DAG's schedule (a `logicalDate` problem).
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
  const loaded = await loadLocalDag(options.path, options.params ?? {});
  const runId = options.runId ?? randomUUID();
  const interval =
    options.logicalDate === undefined ? undefined : dataIntervalFor(loaded.dag, options.logicalDate);
  if (options.executor !== undefined) {
    const shared = { concurrency, outputMaxBytes, executor: options.executor };
    return runLoaded(loaded, runId, shared, options.signal, options.onEvent, interval);
  }
  // Children run with the executor that runs their parent's dag task, so the trigger needs it and it
  // needs the trigger: the trigger reads it once a child starts, after both exist.
  let shared: SharedRun | undefined;
  const trigger: LocalDagTrigger = createLocalDagTrigger({
    dagsDir: resolve(options.dagsDir ?? dirname(loaded.dir)),
    rootChain: [loaded.dag.name],
    run: (child) => runLoaded(child.dag, child.runId, shared as SharedRun, child.signal, undefined),
  });
  const executor = createExecutor({
    maxThreads: Math.min(concurrency, availableParallelism()),
    ...(options.connections === undefined ? {} : { connections: options.connections }),
    ...(options.secrets === undefined ? {} : { secrets: options.secrets }),
    dags: trigger,
  });
  shared = { concurrency, outputMaxBytes, executor };
  const onAbort = () => trigger.cancelAll(abortReason(options.signal));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const summary = await runLoaded(loaded, runId, shared, options.signal, options.onEvent, interval);
    // Runs triggered without `wait` may still be going: they end before the executor closes.
    await trigger.settled();
    return summary;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await executor.close();
  }
}

/**
 * Runs one loaded DAG to its end with the shared executor, which stays open; for `dataInterval` when
 * given, else for its own start time.
 */
async function runLoaded(
  loaded: LocalDag,
  runId: string,
  shared: SharedRun,
  signal: AbortSignal | undefined,
  onEvent: ((event: RunEvent) => void) | undefined,
  dataInterval?: DataInterval,
): Promise<RunSummary> {
  const run = new LocalRun({
    runId,
    dag: loaded.dag,
    bundleDir: loaded.dir,
    params: loaded.params,
    concurrency: shared.concurrency,
    outputMaxBytes: shared.outputMaxBytes,
    executor: shared.executor,
    onEvent: onEvent ?? (() => {}),
    ...(dataInterval === undefined ? {} : { dataInterval }),
  });
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
}

function abortReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  if (typeof reason === 'string') return reason;
  return 'cancelled by the caller';
}
