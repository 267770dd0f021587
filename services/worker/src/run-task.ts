import { setTimeout as sleep } from 'node:timers/promises';
import type { Bus, OutputRef, TaskDelivery, TaskLogWriter, WorkerEventInit } from '@tributary/bus';
import type { Logger } from '@tributary/core';
import { Code, type Failure, type JsonValue, TributaryError, toFailure } from '@tributary/core';
import type { ExecutionRequest, ExecutionResult, TaskExecutor } from '@tributary/executors';
import { failureToProto, jsonToValue, TaskOutcome, timestamp } from '@tributary/proto';
import { LOG_END_TIMEOUT_MS, openAttemptLog } from './attempt-log.js';
import { AttemptSpan } from './attempt-span.js';
import type { AttemptKey, AttemptRegistry } from './attempts.js';
import type { BundleCache } from './bundle-cache.js';
import { StartReport } from './start-report.js';
import { type OutputLimits, planOutput, resolveInputs } from './task-outputs.js';
import type { AttemptObserver } from './worker-metrics.js';

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
  /** When outputs go to the object store, and when they fail their attempt. */
  outputLimits: OutputLimits;
  /** The attempt's span; set per attempt by {@link runTask}. */
  span?: AttemptSpan;
  /** Told how attempts end and how long event publishes take (metrics). @default none */
  observer?: AttemptObserver;
}

/** The abort reason of attempts the worker cancels because it is stopping (not the user). */
export const SHUTDOWN = new TributaryError(Code.Unavailable, 'worker is shutting down');
/** How long a task waits before redelivery when this worker could not start it (NATS trouble). */
const RETRY_DELAY_MS = 2_000;
/** Longest wait between attempts to store an output while NATS is unavailable. */
const MAX_STORE_RETRY_DELAY_MS = 5_000;

const OUTCOMES: Record<ExecutionResult['outcome'], TaskOutcome> = {
  succeeded: TaskOutcome.SUCCEEDED,
  failed: TaskOutcome.FAILED,
  timed_out: TaskOutcome.TIMED_OUT,
  cancelled: TaskOutcome.CANCELLED,
  skipped: TaskOutcome.SKIPPED,
  rescheduled: TaskOutcome.RESCHEDULED,
};

/**
 * Runs one delivered attempt: bundle, inputs, `started`, execute (extending the ack deadline), output,
 * `finished`, ack. Resolves once the delivery is settled.
 */
export async function runTask(context: TaskContext, delivery: TaskDelivery, pool: string): Promise<void> {
  const span = new AttemptSpan(delivery, context.bus.subjects.task(pool), pool, context.workerId);
  try {
    await span.run(() => runAttempt({ ...context, span }, delivery, pool));
  } finally {
    span.end();
  }
}

async function runAttempt(context: TaskContext, delivery: TaskDelivery, pool: string): Promise<void> {
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
    const inputs = await prepareInputs(context, delivery, key);
    if (inputs === undefined) return;
    const start = new StartReport(() =>
      publish(context, delivery, {
        ref: key,
        workerId: context.workerId,
        event: { case: 'started', value: {} },
      }),
    );
    const log = openAttemptLog(context.bus, key, context.logger, context.span?.traceparent);
    const result = await execute(context, delivery, key, { bundleDir, inputs, log }, attempt.signal);
    await start.settle();
    if (attempt.signal.reason === SHUTDOWN) {
      // Not the user's cancel: hand the task to another worker instead of reporting it cancelled. Its
      // log gets no end marker, since the attempt goes on there.
      context.logger.warn('task interrupted by shutdown, handing it back', key);
      context.span?.event('handed back: the worker is shutting down');
      await log.close(LOG_END_TIMEOUT_MS);
      delivery.nak();
      return;
    }
    // The lines are stored before the result is reported, so that a log read after the run finished is
    // complete (the wait is bounded: a broken log stream never holds up a result).
    await log.end(LOG_END_TIMEOUT_MS);
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

/**
 * The task's inputs with output references replaced by their values; `undefined` when the delivery was
 * already settled (a failed result for a missing or corrupt output, or a nak after a NATS error).
 */
async function prepareInputs(
  context: TaskContext,
  delivery: TaskDelivery,
  key: AttemptKey,
): Promise<Record<string, JsonValue> | undefined> {
  try {
    const resolved = await resolveInputs(context.bus.outputs, key.taskId, delivery.message.inputs);
    if (resolved.ok) return resolved.inputs;
    await finish(context, delivery, key, failedResult(resolved.failure));
  } catch (error) {
    context.logger.warn('cannot fetch upstream outputs, retrying later', { ...key, error });
    delivery.nak(RETRY_DELAY_MS);
  }
  return undefined;
}

async function execute(
  context: TaskContext,
  delivery: TaskDelivery,
  key: AttemptKey,
  prepared: { bundleDir: string; inputs: Record<string, JsonValue>; log: TaskLogWriter },
  signal: AbortSignal,
): Promise<ExecutionResult> {
  const { message } = delivery;
  const request: ExecutionRequest = {
    ...key,
    // The coordinator sends the compiled TaskModel; the executor validates what it uses.
    task: message.task as unknown as ExecutionRequest['task'],
    bundleDir: prepared.bundleDir,
    params: message.params,
    inputs: prepared.inputs,
    traceparent: context.span?.traceparent ?? delivery.traceparent,
    logicalDate: message.logicalDate,
    dataIntervalEnd: message.dataIntervalEnd,
  };
  const startedAt = Date.now();
  try {
    // The run context lives in NATS KV, shared by every worker running a task of this run.
    return await context.executor.execute(request, {
      signal,
      context: context.bus.context.forRun(key.runId),
      onLog: (line) => prepared.log.write(line),
    });
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
  const reported = await withReportableOutput(context, key, result);
  context.span?.result(reported);
  await publish(context, delivery, finishedEvent(context, key, reported));
  delivery.ack();
  context.observer?.attemptFinished(delivery.message, reported);
  context.logger.debug('task finished', { ...key, outcome: reported.outcome });
}

function finishedEvent(context: TaskContext, key: AttemptKey, result: ExecutionResult): WorkerEventInit {
  return {
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
  };
}

/**
 * The result to report: its output inline, or replaced by a reference to the object store, or the
 * attempt failed with `OutputTooLarge`. An output under the inline limit is stored as well when its
 * event would not fit in one NATS message (protobuf encodes small numbers larger than JSON does).
 */
async function withReportableOutput(
  context: TaskContext,
  key: AttemptKey,
  result: ExecutionResult,
): Promise<ExecutionResult> {
  if (result.output === undefined) return result;
  const plan = planOutput(key.taskId, result.output, context.outputLimits);
  if (plan.kind === 'too_large') {
    context.logger.warn('task output over the limit', { ...key, error: plan.failure.message });
    const { output: _dropped, ...rest } = result;
    return { ...rest, outcome: 'failed', error: plan.failure };
  }
  if (plan.kind === 'inline' && context.bus.fitsInMessage(finishedEvent(context, key, result))) return result;
  return { ...result, output: await storeOutput(context, key, plan.json) };
}

/**
 * Stores an output, retrying with backoff while NATS is unavailable: the task already ran, and a result
 * must not be lost. Gives up when the worker stops for good; the delivery is then redelivered.
 */
async function storeOutput(context: TaskContext, key: AttemptKey, json: Uint8Array): Promise<OutputRef> {
  for (let delay = 200; ; delay = Math.min(delay * 2, MAX_STORE_RETRY_DELAY_MS)) {
    try {
      return await context.bus.outputs.put(key, json);
    } catch (error) {
      context.logger.warn('cannot store task output, retrying', { ...key, bytes: json.byteLength, error });
      try {
        await sleep(delay, undefined, { signal: context.hardStop });
      } catch {
        throw new TributaryError(Code.Cancelled, 'gave up storing a task output: the worker is stopping', {
          cause: error,
        });
      }
    }
  }
}

async function publish(context: TaskContext, delivery: TaskDelivery, event: WorkerEventInit): Promise<void> {
  const from = performance.now();
  await context.bus.publishWorkerEvent(
    { ...event, at: timestamp(Date.now()) },
    { signal: context.hardStop, traceparent: context.span?.traceparent ?? delivery.traceparent },
  );
  context.observer?.eventPublished((performance.now() - from) / 1000);
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
