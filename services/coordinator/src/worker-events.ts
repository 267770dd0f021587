import type { AttemptState } from '@tributary/core';
import type { EngineEvent } from '@tributary/engine';
import {
  failureFromProto,
  millisFromTimestamp,
  TaskOutcome,
  valueToJson,
  type WorkerEvent,
} from '@tributary/proto';
import type { TransitionContext } from './record-transition.js';

/** A worker's report, translated for the engine, with what the coordinator records besides. */
export interface TranslatedWorkerEvent {
  runId: string;
  event: EngineEvent;
  context: TransitionContext;
}

/** Translates a worker's `started` or `finished` message; null for a message with neither. */
export function translateWorkerEvent(message: WorkerEvent, now: number): TranslatedWorkerEvent | null {
  const ref = message.ref;
  if (!ref) return null;
  const at = message.at ? millisFromTimestamp(message.at) : now;
  const base = { taskId: ref.taskId, attempt: ref.attempt, at };
  const payload = message.event;
  if (payload.case === 'started') {
    return {
      runId: ref.runId,
      event: { type: 'task_started', ...base },
      context: { workerId: message.workerId, startedAt: at },
    };
  }
  if (payload.case !== 'finished') return null;
  const finished = payload.value;
  const context: TransitionContext = { workerId: message.workerId, logTail: finished.logTail };
  if (finished.startedAt) context.startedAt = millisFromTimestamp(finished.startedAt);
  if (finished.outcome === TaskOutcome.SUCCEEDED) {
    const output = finished.output ? valueToJson(finished.output) : null;
    return { runId: ref.runId, event: { type: 'task_succeeded', ...base, output }, context };
  }
  if (finished.outcome === TaskOutcome.SKIPPED) {
    const reason = finished.error ? failureFromProto(finished.error) : undefined;
    context.attemptOutcome = 'skipped';
    const event: EngineEvent = reason
      ? { type: 'task_skipped', ...base, reason }
      : { type: 'task_skipped', ...base };
    return { runId: ref.runId, event, context };
  }
  if (finished.outcome === TaskOutcome.RESCHEDULED) {
    context.attemptOutcome = 'rescheduled';
    return { runId: ref.runId, event: { type: 'task_rescheduled', ...base }, context };
  }
  const outcome: AttemptState =
    finished.outcome === TaskOutcome.TIMED_OUT
      ? 'timed_out'
      : finished.outcome === TaskOutcome.CANCELLED
        ? 'cancelled'
        : 'failed';
  context.attemptOutcome = outcome;
  const error = finished.error
    ? failureFromProto(finished.error)
    : { message: `task ended ${outcome} without an error`, type: 'Error', retryable: true };
  // A worker only cancels on the coordinator's word (the run was cancelled, so the engine drops this);
  // anything else that reports cancelled counts as a failed attempt.
  return {
    runId: ref.runId,
    event: { type: 'task_failed', ...base, reason: outcome === 'timed_out' ? 'timed_out' : 'error', error },
    context,
  };
}
