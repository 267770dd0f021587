import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Code, type RunState, TributaryError } from '@tributary/core';
import type { DagTrigger, DagTriggerRequest } from '@tributary/executors';
import { loadDagFolder, SPEC_FILE_NAMES } from '@tributary/spec';
import type { RunSummary } from './events.js';
import { type LocalDag, loadLocalDag } from './load.js';

/** How many dag tasks deep a local run may trigger runs: stops a DAG that triggers itself for ever. */
export const MAX_LOCAL_DAG_DEPTH = 10;

/** Runs one child DAG in this process; given by runDagLocally so that children share its executor. */
export type LocalChildRunner = (child: {
  runId: string;
  dag: LocalDag;
  signal: AbortSignal;
}) => Promise<RunSummary>;

export interface LocalDagTriggerOptions {
  /** The folder whose subfolders hold the DAGs that dag tasks may trigger, found by their spec `name`. */
  dagsDir: string;
  /** Runs a child; called once per triggered run. */
  run: LocalChildRunner;
  /** The chain of DAG names above the runs this trigger starts (the root run's DAG). @default [] */
  rootChain?: readonly string[];
}

/** A {@link DagTrigger} for `tributary run`, which also waits for the runs nobody waits for. */
export interface LocalDagTrigger extends DagTrigger {
  /** Resolves once every child run started so far (and their own children) has ended. */
  settled(): Promise<void>;
  /** Cancels every child run still going. */
  cancelAll(reason: string): void;
}

interface ChildRun {
  chain: readonly string[];
  controller: AbortController;
  done: Promise<RunState>;
}

/**
 * A DAG trigger that runs child DAGs in this process: the DAG named `dag` is the subfolder of `dagsDir`
 * whose spec has that name (folders whose spec does not load are passed over). Triggering is
 * idempotent by request id; params are checked before a run id is given, so an unknown DAG is
 * `NotFound` and bad params `InvalidArgument`, both before anything runs. A chain of more than
 * {@link MAX_LOCAL_DAG_DEPTH} nested dag tasks is refused with `FailedPrecondition`, naming the chain.
 */
export function createLocalDagTrigger(options: LocalDagTriggerOptions): LocalDagTrigger {
  const rootChain = options.rootChain ?? [];
  const runs = new Map<string, ChildRun>();
  const byRequest = new Map<string, Promise<{ runId: string }>>();
  const find = (runId: string): ChildRun => {
    const run = runs.get(runId);
    if (run === undefined) throw new TributaryError(Code.NotFound, `no local run '${runId}'`);
    return run;
  };
  const start = async (request: DagTriggerRequest): Promise<{ runId: string }> => {
    const chain = [...(runs.get(request.parent.runId)?.chain ?? rootChain), request.dag];
    if (chain.length - rootChain.length > MAX_LOCAL_DAG_DEPTH) {
      throw new TributaryError(
        Code.FailedPrecondition,
        `dag tasks nest more than ${MAX_LOCAL_DAG_DEPTH} deep: ${chain.join(' -> ')}`,
      );
    }
    const dag = await loadLocalDag(await findDagFolder(options.dagsDir, request.dag), request.params);
    const runId = randomUUID();
    const controller = new AbortController();
    const done = options
      .run({ runId, dag, signal: controller.signal })
      .then((summary) => summary.run.state)
      // A child that cannot even start (its executor closed) counts as failed.
      .catch((): RunState => 'failed');
    runs.set(runId, { chain, controller, done });
    return { runId };
  };
  return {
    trigger(request) {
      let started = byRequest.get(request.requestId);
      if (started === undefined) {
        started = start(request);
        byRequest.set(request.requestId, started);
        // A refused request may be asked again (after a fix, or a transient error): forget it.
        started.catch(() => byRequest.delete(request.requestId));
      }
      return started;
    },
    async wait(runId, signal) {
      const { done } = find(runId);
      return new Promise<RunState>((resolve, reject) => {
        const onAbort = () =>
          reject(new TributaryError(Code.Cancelled, `waiting for run '${runId}' was aborted`));
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        done.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    },
    async cancel(runId, reason) {
      find(runId).controller.abort(reason);
    },
    async settled() {
      // Children may trigger children while we wait: loop until no new run appeared.
      let count = -1;
      while (count !== runs.size) {
        count = runs.size;
        await Promise.all([...runs.values()].map((run) => run.done));
      }
    },
    cancelAll(reason) {
      for (const run of runs.values()) run.controller.abort(reason);
    },
  };
}

/** The subfolder of `dagsDir` whose spec is named `name`. */
async function findDagFolder(dagsDir: string, name: string): Promise<string> {
  let entries: string[];
  try {
    entries = (await readdir(dagsDir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    throw new TributaryError(Code.NotFound, `cannot read the DAGs folder ${dagsDir}`, { cause: error });
  }
  const invalid: string[] = [];
  for (const entry of entries) {
    const dir = join(dagsDir, entry);
    const files = await readdir(dir).catch((): string[] => []);
    // Folders without a spec (assets, node_modules) are not DAGs.
    if (!SPEC_FILE_NAMES.some((file) => files.includes(file))) continue;
    const loaded = await loadDagFolder(dir).catch(() => undefined);
    if (loaded?.model?.name === name) return dir;
    if (loaded !== undefined && loaded.model === undefined) invalid.push(entry);
  }
  // A spec with problems has no name to match: say so, since the DAG sought may be one of them.
  const skipped = invalid.length === 0 ? '' : `; these folders have invalid specs: ${invalid.join(', ')}`;
  throw new TributaryError(
    Code.NotFound,
    `no DAG named '${name}' in ${dagsDir} (looked at the spec name of each of its folders${skipped})`,
  );
}
