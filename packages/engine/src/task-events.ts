import type { TaskState } from '@tributary/core';
import { instanceOf } from './run-index.js';
import { dispatchTask, moveTask, releaseDownstream, type Step } from './step.js';
import type { EngineEvent, TaskInstanceState } from './types.js';

type TaskEvent<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;

/**
 * The fencing rule: a result applies only to the task's current attempt while that attempt is out (queued
 * or running). A result for an older attempt, a finished task or a cancelled one is ignored, so a late
 * worker can never overwrite a newer attempt (DESIGN.md, "Invariants").
 */
function currentAttempt(
  step: Step,
  event: { taskId: string; attempt: number },
  states: readonly TaskState[],
): TaskInstanceState | undefined {
  const instance = instanceOf(step.run, event.taskId);
  return instance.attempt === event.attempt && states.includes(instance.state) ? instance : undefined;
}

const OUT: readonly TaskState[] = ['queued', 'running'];

/** A worker began the current attempt of a queued task. */
export function taskStarted(step: Step, event: TaskEvent<'task_started'>): boolean {
  if (currentAttempt(step, event, ['queued']) === undefined) return false;
  moveTask(step, event.taskId, 'running');
  return true;
}

/**
 * The current attempt succeeded: keep its output and release the downstream tasks. It may arrive without a
 * `task_started` (a worker's start message can be lost or overtaken), so a queued task accepts it too.
 */
export function taskSucceeded(step: Step, event: TaskEvent<'task_succeeded'>): boolean {
  const instance = currentAttempt(step, event, OUT);
  if (instance === undefined) return false;
  instance.output = event.output;
  moveTask(step, event.taskId, 'succeeded');
  releaseDownstream(step, event.taskId);
  return true;
}

/**
 * The current attempt failed (error, timeout or lost worker: all count as a used attempt). With retries
 * left the task waits `retryDelayMs` for the next attempt; otherwise it fails and so do the tasks that can
 * no longer run.
 */
export function taskFailed(step: Step, event: TaskEvent<'task_failed'>): boolean {
  const instance = currentAttempt(step, event, OUT);
  if (instance === undefined) return false;
  instance.error = event.error;
  const task = step.plan.task(event.taskId);
  if (instance.attempt <= task.retries) {
    const at = step.at + task.retryDelayMs;
    instance.retryAt = at;
    moveTask(step, event.taskId, 'up_for_retry');
    step.commands.push({ type: 'schedule_retry', taskId: event.taskId, attempt: instance.attempt + 1, at });
  } else {
    moveTask(step, event.taskId, 'failed');
    releaseDownstream(step, event.taskId);
  }
  return true;
}

/** A retry timer fired: dispatch the attempt it was scheduled for, once. */
export function retryDue(step: Step, event: TaskEvent<'retry_due'>): boolean {
  const instance = instanceOf(step.run, event.taskId);
  if (instance.state !== 'up_for_retry' || instance.attempt + 1 !== event.attempt) return false;
  dispatchTask(step, event.taskId, event.attempt);
  return true;
}
