import type { Bus, TaskDelivery, WorkerEventInit } from '@tributary/bus';
import type { Logger } from '@tributary/core';
import { Code, type Failure, type JsonObject, TributaryError, toFailure } from '@tributary/core';
import type { ExecutionRequest, ExecutionResult, TaskExecutor } from '@tributary/executors';
import { failureToProto, jsonToValue, TaskOutcome, timestamp, valueToJson } from '@tributary/proto';
import type { AttemptKey, AttemptRegistry } from './attempts.js';
import type { BundleCache } from './bundle-cache.js';

/** Everything one task attempt needs from its worker. */
export interface TaskContext {
  bus: Bus;
  executor: TaskExecutor;
  bundles: BundleCache;
  attempts: AttemptRegistry;
  logger: Logger;
  workerId: string;
  /** How often to extend the delivery's ack deadline while the task runs. */
  workingIntervalMs: number;
  /** Aborts when the worker gives up for good: stops retrying event publishes. */
  hardStop: AbortSignal;
}

/** The abort reason of attempts the worker cancels because it is stopping (not the user). */
export const SHUTDOWN = new TributaryError(Code.Unavailable, 'worker is shutting down');
/** How long a task waits before redelivery when this worker could not start it (NATS trouble). */
const RETRY_DELAY_MS = 2_000;

const OUTCOMES: Record<ExecutionResult['outcome'], TaskOutcome> = {
  succeeded: TaskOutcome.SUCCEEDED,
  failed: TaskOutcome.FAILED,
  timed_out: TaskOutcome.TIMED_OUT,
  cancelled: TaskOutcome.CANCELLED,
};

/**
 * Runs one delivered attempt: bundle, `started`, execute (extending the ack deadline), `finished`, ack.
 * Resolves once the delivery is settled.
 */
export async function runTask(context: TaskContext, delivery: TaskDelivery, pool: string): Promise<void> {
  const { message } = delivery;
  const key: AttemptKey = { runId: message.runId, taskId: message.taskId, attempt: message.attempt };
  // Registered before the first await, so that the concurrency count and cancel notices see it at once.
  const attempt = context.attempts.start(key, pool);
  const keepAlive = setInterval(() => delivery.working(), context.workingIntervalMs);
  try {
    const notice = context.attempts.cancelledBy(key);
    if (notice !== undefined) {
      context.logger.info('skipping cancelled task', { ...key, reason: notice.reason });
      await finish(context, delivery, key, cancelledResult(notice.reason));
      return;
    }
    const bundleDir = await prepareBundle(context, delivery, key);
    if (bundleDir === undefined) return;
    await publish(context, delivery, {
      ref: key,
      workerId: context.workerId,
      event: { case: 'started', value: {} },
    });
    const result = await execute(context, delivery, key, bundleDir, attempt.signal);
    if (attempt.signal.reason === SHUTDOWN) {
      // Not the user's cancel: hand the task to another worker instead of reporting it cancelled.
      context.logger.warn('task interrupted by shutdown, handing it back', key);
      delivery.nak();
      return;
    }
    await finish(context, delivery, key, result);
  } finally {
    clearInterval(keepAlive);
    attempt.finish();
  }
}

/**
 * The bundle folder; `undefined` when the delivery was already settled (a failed result published for a
 * missing or broken bundle, or a nak to retry later after a NATS error).
 */
async function prepareBundle(
  context: TaskContext,
  delivery: TaskDelivery,
  key: AttemptKey,
): Promise<string | undefined> {
  const hash = delivery.message.bundleHash;
  try {
    const dir = await context.bundles.ensure(hash);
    if (dir !== null) return dir;
    const failure = {
      type: 'BundleNotFound',
      message: `bundle ${hash} is not in the object store`,
      retryable: false,
    };
    await finish(context, delivery, key, failedResult(failure));
  } catch (error) {
    const bad = error instanceof TributaryError && [Code.InvalidArgument, Code.DataLoss].includes(error.code);
    if (!bad) {
      context.logger.warn('cannot fetch bundle, retrying later', { ...key, hash, error });
      delivery.nak(RETRY_DELAY_MS);
      return undefined;
    }
    await finish(
      context,
      delivery,
      key,
      failedResult({ ...toFailure(error), type: 'InvalidBundle', retryable: false }),
    );
  }
  return undefined;
}

async function execute(
  context: TaskContext,
  delivery: TaskDelivery,
  key: AttemptKey,
  bundleDir: string,
  signal: AbortSignal,
): Promise<ExecutionResult> {
  const { message } = delivery;
  const request: ExecutionRequest = {
    ...key,
    // The coordinator sends the compiled TaskModel as a Struct; the executor validates what it uses.
    task: message.task as unknown as ExecutionRequest['task'],
    bundleDir,
    params: (message.params ?? {}) as JsonObject,
    inputs: Object.fromEntries(Object.entries(message.inputs).map(([id, value]) => [id, valueToJson(value)])),
    traceparent: delivery.traceparent,
  };
  const startedAt = Date.now();
  try {
    return await context.executor.execute(request, { signal });
  } catch (error) {
    // Executors report a task's own errors as results; a throw is an executor bug. The attempt still ends.
    context.logger.error('executor threw', { ...key, error });
    return { ...failedResult(toFailure(error)), startedAt };
  }
}

async function finish(
  context: TaskContext,
  delivery: TaskDelivery,
  key: AttemptKey,
  result: ExecutionResult,
) {
  await publish(context, delivery, {
    ref: key,
    workerId: context.workerId,
    event: {
      case: 'finished',
      value: {
        outcome: OUTCOMES[result.outcome],
        output: result.output === undefined ? undefined : jsonToValue(result.output),
        error: result.error === undefined ? undefined : failureToProto(result.error),
        startedAt: timestamp(result.startedAt),
        logTail: result.logTail,
      },
    },
  });
  await delivery.ack();
  context.logger.info('task finished', { ...key, outcome: result.outcome });
}

async function publish(context: TaskContext, delivery: TaskDelivery, event: WorkerEventInit): Promise<void> {
  await context.bus.publishWorkerEvent(
    { ...event, at: timestamp(Date.now()) },
    { signal: context.hardStop, traceparent: delivery.traceparent },
  );
}

function failedResult(error: Failure): ExecutionResult {
  const now = Date.now();
  return { outcome: 'failed', error, startedAt: now, finishedAt: now, logTail: [] };
}

function cancelledResult(reason: string): ExecutionResult {
  const now = Date.now();
  const error = {
    type: 'Cancelled',
    message: `cancelled before it started: ${reason || 'no reason given'}`,
    retryable: false,
  };
  return { outcome: 'cancelled', error, startedAt: now, finishedAt: now, logTail: [] };
}
