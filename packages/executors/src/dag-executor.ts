import { Code, type Failure, formatProblem, type JsonObject, TributaryError } from '@tributary/core';
import type { DagTaskModel } from '@tributary/spec';
import { InFlightAttempts, startAttempt } from './attempt-start.js';
import type { AttemptEnding, LogSink } from './log-sink.js';
import { createAttemptStopper, type StopReason, stopResult } from './stopper.js';
import type {
  DagTrigger,
  ExecuteOptions,
  ExecutionRequest,
  ExecutionResult,
  ExecutorOptions,
} from './types.js';

/** Runs dag tasks: triggers the child run and, with `wait`, ends as it ends. */
export interface DagExecutor {
  execute(request: ExecutionRequest, task: DagTaskModel, options?: ExecuteOptions): Promise<ExecutionResult>;
  /** Stops every attempt (cancelling its child run) and waits for them to end. */
  close(): Promise<void>;
}

/** The output of a dag task: the child run's id and, when the task waited, its final state. */
export interface DagTaskOutput extends JsonObject {
  run_id: string;
}

/** Codes with which the child's API says the request itself is wrong: a retry would be refused too. */
const FINAL_CODES: ReadonlySet<Code> = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.FailedPrecondition,
  Code.PermissionDenied,
  Code.Unauthenticated,
  Code.AlreadyExists,
  Code.Unimplemented,
]);

/**
 * Creates the dag executor. Each attempt triggers a run of `task.dag` with the rendered `params`,
 * idempotently by `<runId>.<taskId>.<attempt>`, then (with `wait`) waits for it: a child that succeeds
 * makes the task succeed, any other end fails it with `ChildRunFailed` (retryable: a retry triggers a new
 * child). A timeout, a cancel or `close()` cancels the child run. Without a trigger the task fails
 * `DagTriggerNotConfigured`.
 */
export function createDagExecutor(options: Required<ExecutorOptions>): DagExecutor {
  const running = new InFlightAttempts();
  return {
    async execute(request, task, executeOptions = {}) {
      const { logs, finish, cancelledBeforeStart } = startAttempt(
        request.taskId,
        task.timeoutMs,
        options.logTailLines,
        executeOptions,
      );
      if (cancelledBeforeStart !== undefined) return cancelledBeforeStart;
      const trigger = options.dags;
      if (trigger === null) return finish({ outcome: 'failed', error: notConfiguredFailure(request.taskId) });
      const stopping = new AbortController();
      const killing = new AbortController();
      const stopper = createAttemptStopper({
        signal: executeOptions.signal,
        timeoutMs: task.timeoutMs,
        killGraceMs: options.killGraceMs,
        onStop: (reason) => stopping.abort(reason),
        onKill: () => killing.abort('killed'),
      });
      stopper.startClock();
      const attempt = runAttempt(trigger, request, task, logs, {
        stopped: stopping.signal,
        killed: killing.signal,
        reason: () => stopper.reason,
      }).then(finish);
      running.add(stopper, attempt);
      try {
        return await attempt;
      } finally {
        stopper.dispose();
        running.delete(stopper);
      }
    },
    async close() {
      await running.killAll();
    },
  };
}

interface AttemptSignals {
  /** Aborted on timeout, cancel or close: stop waiting and cancel the child. */
  stopped: AbortSignal;
  /** Aborted when the grace period after a stop has passed: give up on the trigger call too. */
  killed: AbortSignal;
  reason(): StopReason | undefined;
}

async function runAttempt(
  trigger: DagTrigger,
  request: ExecutionRequest,
  task: DagTaskModel,
  logs: LogSink,
  signals: AttemptSignals,
): Promise<AttemptEnding> {
  const { runId, taskId, attempt } = request;
  let childId: string;
  try {
    // The trigger call is not stopped with the attempt: once it returns, the child can be cancelled by
    // id, whereas an abandoned call may still have started a run nobody would cancel.
    const child = await trigger.trigger(
      {
        dag: task.dag,
        params: task.params,
        requestId: `${runId}.${taskId}.${attempt}`,
        parent: { runId, taskId, attempt },
        ...(request.traceparent === undefined ? {} : { traceparent: request.traceparent }),
      },
      signals.killed,
    );
    childId = child.runId;
  } catch (error) {
    const reason = signals.reason();
    if (reason !== undefined) return stopResult(reason, taskId, task.timeoutMs);
    return { outcome: 'failed', error: triggerFailure(error, taskId, task.dag) };
  }
  logs.push('log', `triggered run ${childId} of DAG '${task.dag}'`, 'info');
  const stop = async (reason: StopReason): Promise<AttemptEnding> => {
    await cancelChild(trigger, childId, stopMessage(request, reason), logs);
    return stopResult(reason, taskId, task.timeoutMs);
  };
  const early = signals.reason();
  if (early !== undefined) return stop(early);
  if (!task.wait) return { outcome: 'succeeded', output: { run_id: childId } };
  let state: string;
  try {
    state = await trigger.wait(childId, signals.stopped);
  } catch (error) {
    const reason = signals.reason();
    if (reason !== undefined) return stop(reason);
    // A retry starts another child: this one must not go on beside it.
    await cancelChild(trigger, childId, `task '${taskId}' of run ${runId} lost track of it`, logs);
    return { outcome: 'failed', error: waitFailure(error, taskId, childId) };
  }
  logs.push('log', `run ${childId} of DAG '${task.dag}' ended ${state}`, 'info');
  if (state === 'succeeded') return { outcome: 'succeeded', output: { run_id: childId, state } };
  return { outcome: 'failed', error: childRunFailure(taskId, task.dag, childId, state) };
}

async function cancelChild(
  trigger: DagTrigger,
  childId: string,
  reason: string,
  logs: LogSink,
): Promise<void> {
  try {
    await trigger.cancel(childId, reason);
    logs.push('log', `cancelled run ${childId}: ${reason}`, 'info');
  } catch (error) {
    logs.push('log', `could not cancel run ${childId}: ${TributaryError.from(error).message}`, 'warn');
  }
}

function stopMessage(request: ExecutionRequest, reason: StopReason): string {
  const what = reason === 'timeout' ? 'timed out' : reason === 'close' ? 'was stopped' : 'was cancelled';
  return `task '${request.taskId}' (attempt ${request.attempt}) of run ${request.runId} ${what}`;
}

function notConfiguredFailure(taskId: string): Failure {
  return {
    type: 'DagTriggerNotConfigured',
    message:
      `task '${taskId}' is a dag task, but this executor cannot trigger runs: give createExecutor a ` +
      "'dags' trigger (a worker builds one from its --server / TRIBUTARY_SERVER address; " +
      '`tributary run` finds child DAGs in --dags-dir)',
    retryable: false,
  };
}

function triggerFailure(error: unknown, taskId: string, dag: string): Failure {
  const cause = TributaryError.from(error);
  const problems = cause.problems.map(formatProblem);
  const message = [`task '${taskId}': cannot trigger DAG '${dag}': ${cause.message}`, ...problems].join('\n');
  return {
    type: 'DagTriggerError',
    message,
    retryable: !FINAL_CODES.has(cause.code),
    details: { dag, code: cause.code },
  };
}

function waitFailure(error: unknown, taskId: string, childId: string): Failure {
  const cause = TributaryError.from(error);
  return {
    type: 'DagTriggerError',
    message: `task '${taskId}': lost track of child run ${childId}: ${cause.message}`,
    retryable: true,
    details: { runId: childId, code: cause.code },
  };
}

function childRunFailure(taskId: string, dag: string, childId: string, state: string): Failure {
  return {
    type: 'ChildRunFailed',
    message: `task '${taskId}': child run ${childId} of DAG '${dag}' ended ${state}`,
    retryable: true,
    details: { runId: childId, dag, state },
  };
}
