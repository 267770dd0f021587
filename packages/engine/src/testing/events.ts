import type { JsonValue } from '@tributary/core';
import { applyEvent } from '../apply-event.js';
import { createPlan, type Plan } from '../plan.js';
import { createRunSnapshot } from '../snapshot.js';
import type { EngineEvent, FailureReason, PlanDag, RunSnapshot, Transition } from '../types.js';

/** The error every test failure carries. */
export const BOOM = { message: 'boom', type: 'Error', retryable: true };

/** Builders for engine events, with small defaults so that tests state only what matters. */
export const events = {
  runStarted: (at = 0): EngineEvent => ({ type: 'run_started', at }),
  started: (taskId: string, attempt = 1, at = 10): EngineEvent => ({
    type: 'task_started',
    taskId,
    attempt,
    at,
  }),
  succeeded: (taskId: string, attempt = 1, output: JsonValue = null, at = 20): EngineEvent => ({
    type: 'task_succeeded',
    taskId,
    attempt,
    output,
    at,
  }),
  failed: (taskId: string, attempt = 1, reason: FailureReason = 'error', at = 20): EngineEvent => ({
    type: 'task_failed',
    taskId,
    attempt,
    reason,
    error: BOOM,
    at,
  }),
  retryDue: (taskId: string, attempt: number, at = 2000): EngineEvent => ({
    type: 'retry_due',
    taskId,
    attempt,
    at,
  }),
  cancelled: (at = 30): EngineEvent => ({ type: 'run_cancelled', reason: 'user', at }),
};

/** A run of `dag` that has received `run_started`, with the transition that started it. */
export function startRun(dag: PlanDag): { plan: Plan; run: RunSnapshot; started: Transition } {
  const plan = createPlan(dag);
  const run = createRunSnapshot(plan);
  const started = applyEvent(plan, run, events.runStarted());
  return { plan, run, started };
}

/** Runs a task's attempt to success (start, then succeed) and returns the success's transition. */
export function succeed(plan: Plan, run: RunSnapshot, taskId: string, attempt = 1): Transition {
  applyEvent(plan, run, events.started(taskId, attempt));
  return applyEvent(plan, run, events.succeeded(taskId, attempt, { taskId }));
}
