import type { TributaryClient } from '@tributary/client';
import { Code, TributaryError } from '@tributary/core';
import { withClient } from '../client.js';
import { reportError } from '../errors.js';
import { type CommandIo, EXIT_FAILED, EXIT_OK } from '../io.js';
import { collectParams } from '../params.js';
import type { RunRenderer } from '../render/renderer.js';
import { selectRenderer } from '../render/select.js';
import { translateWatchResponse } from '../watch-events.js';
import { exitCodeFor } from './run.js';

/** Flags of `tributary trigger`. */
export interface TriggerCommandOptions {
  param?: string[];
  paramsFile?: string;
  /** Makes the trigger idempotent: the same id returns the same run. */
  requestId?: string;
  /** The DAG version to run. @default 0 (the latest) */
  version?: number;
  /** Follow the run to its end with live progress. @default false */
  wait?: boolean;
  json?: boolean;
}

/**
 * `tributary trigger <dag>`: starts a run on the server and prints its id, or with `--wait` follows it
 * with the same progress (or JSON lines) as `tributary run` and exits like it.
 */
export async function triggerCommand(
  dag: string,
  options: TriggerCommandOptions,
  io: CommandIo,
): Promise<number> {
  try {
    const params = await collectParams({
      assignments: options.param ?? [],
      ...(options.paramsFile === undefined ? {} : { file: options.paramsFile }),
    });
    return await withClient(io, async (client) => {
      const { run, created } = await client.triggerRun({
        dag,
        params,
        ...(options.requestId === undefined ? {} : { requestId: options.requestId }),
        ...(options.version === undefined ? {} : { version: options.version }),
      });
      if (run === undefined) throw new TributaryError(Code.Internal, 'the server returned no run');
      if (!options.wait) {
        io.out(options.json ? `${JSON.stringify({ run: run.id, dag: run.dag, created })}\n` : `${run.id}\n`);
        return EXIT_OK;
      }
      return await follow(client, run.id, selectRenderer(io, options.json ?? false), io);
    });
  } catch (error) {
    return reportError(io, error);
  }
}

/** Renders a remote run until it finishes. Ctrl-C stops watching; the run goes on on the server. */
async function follow(
  client: TributaryClient,
  runId: string,
  renderer: RunRenderer,
  io: CommandIo,
): Promise<number> {
  const signal = io.interrupt();
  try {
    for await (const response of client.watchRun(runId, { signal })) {
      const step = translateWatchResponse(response);
      for (const event of step.events) renderer.event(event);
      if (step.summary !== undefined) {
        renderer.summary(step.summary);
        return exitCodeFor(step.summary.run.state);
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  if (signal.aborted) {
    io.err(`stopped watching; run ${runId} goes on (tributary cancel ${runId} stops it)\n`);
    return EXIT_FAILED;
  }
  throw new TributaryError(Code.Unavailable, `the watch of run ${runId} ended before the run finished`);
}
