import { setTimeout as sleep } from 'node:timers/promises';
import type { TributaryClient } from '@tributary/client';
import { Code, type RunState, TributaryError } from '@tributary/core';
import type { DagTrigger } from '@tributary/executors';
import { runStateFromProto } from '@tributary/proto';

/** How long {@link createApiDagTrigger} waits before watching a child run again after the stream broke. */
export const WATCH_RETRY_DELAY_MS = 500;

/**
 * Codes after which watching again may work: the coordinator restarting or unreachable for a while.
 * Anything else (the run is gone, the request is wrong) is final.
 */
const TRANSIENT_CODES: ReadonlySet<Code> = new Set([
  Code.Unavailable,
  Code.Unknown,
  Code.Internal,
  Code.DeadlineExceeded,
  Code.Aborted,
  Code.ResourceExhausted,
  Code.Cancelled,
]);

/**
 * The DAG trigger of a worker: dag tasks start their child runs through the coordinator's API
 * (`TriggerRun`, idempotent by request id, with the parent run and task, which the run records) and
 * follow them with `WatchRun`, watching again after a broken stream until the run ends or the attempt
 * stops.
 */
export function createApiDagTrigger(client: TributaryClient): DagTrigger {
  return {
    async trigger(request) {
      const response = await client.triggerRun({
        dag: request.dag,
        params: request.params,
        requestId: request.requestId,
        parent: { runId: request.parent.runId, taskId: request.parent.taskId },
        ...(request.traceparent === undefined ? {} : { traceparent: request.traceparent }),
      });
      if (response.run === undefined) {
        throw new TributaryError(Code.Internal, `TriggerRun for DAG '${request.dag}' returned no run`);
      }
      return { runId: response.run.id };
    },
    async wait(runId, signal) {
      for (;;) {
        try {
          const state = await watchToEnd(client, runId, signal);
          if (state !== undefined) return state;
        } catch (error) {
          if (signal.aborted) throw error;
          const cause = TributaryError.from(error);
          if (!TRANSIENT_CODES.has(cause.code)) throw cause;
        }
        await sleep(WATCH_RETRY_DELAY_MS, undefined, { signal });
      }
    },
    async cancel(runId, reason) {
      await client.cancelRun(runId, reason);
    },
  };
}

/** The run's final state, or undefined when the stream ended before the run did. */
async function watchToEnd(
  client: TributaryClient,
  runId: string,
  signal: AbortSignal,
): Promise<RunState | undefined> {
  for await (const message of client.watchRun(runId, { signal })) {
    if (message.event.case === 'finished') return runStateFromProto(message.event.value.state);
  }
  return undefined;
}
