import { type Failure, formatDuration, type TaskState } from '@tributary/core';
import { readBranchChoice } from './branch.js';
import { planTaskOf } from './map.js';
import { retryDelayMs } from './retry-delay.js';
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
  // A fanned-out task is never dispatched itself: nothing a worker says about it is true.
  if (instance.mapCount !== undefined) return undefined;
  if (step.unfenced)
    return states.includes(instance.state) || instance.state === 'up_for_retry' ? instance : undefined;
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
 * `task_started` (a worker's start message can be lost or overtaken), so a queued task accepts it too. A
 * branch task's output chooses which direct downstream tasks run; the others are skipped first, so that
 * their own downstream tasks (a join, say) see them skipped.
 */
export function taskSucceeded(step: Step, event: TaskEvent<'task_succeeded'>): boolean {
  const instance = currentAttempt(step, event, OUT);
  if (instance === undefined) return false;
  const { taskId } = event;
  instance.output = event.output;
  if (planTaskOf(step.plan, taskId).branch !== true) {
    moveTask(step, taskId, 'succeeded');
    releaseDownstream(step, taskId);
    return true;
  }
  const choice = readBranchChoice(step.plan, taskId, event.output);
  if ('error' in choice) {
    delete instance.output;
    endFailed(step, taskId, choice.error);
    return true;
  }
  moveTask(step, taskId, 'succeeded');
  const skipped: string[] = [];
  for (const down of step.plan.downstream(taskId)) {
    if (choice.follow.has(down) || instanceOf(step.run, down).state !== 'pending') continue;
    moveTask(step, down, 'skipped');
    skipped.push(down);
  }
  releaseDownstream(step, taskId, ...skipped);
  return true;
}

/**
 * The current attempt failed (error, timeout or lost worker: all count as a used try). With retries left
 * the task waits for its retry delay; otherwise it fails and so do the tasks that can no longer run.
 */
export function taskFailed(step: Step, event: TaskEvent<'task_failed'>): boolean {
  const instance = currentAttempt(step, event, OUT);
  if (instance === undefined) return false;
  // A lost attempt may still be running on a worker that was only paused or cut off: tell it to stop.
  if (event.reason === 'lost') {
    step.commands.push({ type: 'cancel_attempt', taskId: event.taskId, attempt: event.attempt });
  }
  const task = planTaskOf(step.plan, event.taskId);
  const tryNumber = instance.attempt - (instance.attemptBase ?? 0) - (instance.reschedules ?? 0);
  // A failure the task marked not retryable (a module that does not load, a template naming nothing, an
  // output over the hard limit, a sensor timeout) would fail the same way again: it is final at once,
  // like Airflow's AirflowFailException.
  if (tryNumber <= task.retries && event.error.retryable !== false) {
    instance.error = event.error;
    // The instance's own id, so that the instances of a mapped task spread their jittered retries too.
    const at = step.at + retryDelayMs({ ...task, id: event.taskId }, tryNumber, step.run.seed ?? '');
    instance.retryAt = at;
    // The next try's sensor time limit starts again from its own first poke, as in Airflow.
    delete instance.sensorStartedAt;
    moveTask(step, event.taskId, 'up_for_retry');
    step.commands.push({ type: 'schedule_retry', taskId: event.taskId, attempt: instance.attempt + 1, at });
  } else {
    endFailed(step, event.taskId, event.error);
  }
  return true;
}

function endFailed(step: Step, taskId: string, error: Failure): void {
  instanceOf(step.run, taskId).error = error;
  moveTask(step, taskId, 'failed');
  releaseDownstream(step, taskId);
}

/** The current attempt skipped itself: the task ends `skipped` and its downstream rules decide. */
export function taskSkipped(step: Step, event: TaskEvent<'task_skipped'>): boolean {
  const instance = currentAttempt(step, event, OUT);
  if (instance === undefined) return false;
  if (event.reason !== undefined) instance.error = event.reason;
  moveTask(step, event.taskId, 'skipped');
  releaseDownstream(step, event.taskId);
  return true;
}

/**
 * A reschedule-mode sensor's condition does not hold yet: the task frees its worker and is poked again
 * after its interval, unless the sensor's time limit has passed since its first poke (Airflow checks
 * after each poke the same way). A timeout fails the task without retries, or skips it with `softFail`.
 */
export function taskRescheduled(step: Step, event: TaskEvent<'task_rescheduled'>): boolean {
  const instance = currentAttempt(step, event, OUT);
  const sensor = planTaskOf(step.plan, event.taskId).sensor;
  if (instance === undefined || sensor == null) return false;
  const startedAt = instance.sensorStartedAt ?? step.at;
  if (step.at - startedAt >= sensor.timeoutMs) {
    const error: Failure = {
      type: 'SensorTimeout',
      message: `sensor '${event.taskId}' timed out: its condition did not hold within ${sensor.timeoutMs}ms`,
      retryable: false,
    };
    if (sensor.softFail) {
      taskSkipped(step, { ...event, type: 'task_skipped', reason: error });
    } else {
      endFailed(step, event.taskId, error);
    }
    return true;
  }
  instance.reschedules = (instance.reschedules ?? 0) + 1;
  const at = step.at + sensor.intervalMs;
  instance.retryAt = at;
  moveTask(step, event.taskId, 'up_for_reschedule');
  step.commands.push({ type: 'schedule_retry', taskId: event.taskId, attempt: instance.attempt + 1, at });
  return true;
}

/**
 * The attempt waited `queued` for its whole `queueTimeoutMs` without a worker starting it (no worker
 * serves its pool, or they are all busy): the task fails without a retry, since another try would wait in
 * the same queue, and its downstream rules decide. The task message may still be picked up later, so
 * the attempt is cancelled too. Once the attempt started (or ended) the event is stale.
 */
export function queueTimedOut(step: Step, event: TaskEvent<'queue_timed_out'>): boolean {
  const instance = instanceOf(step.run, event.taskId);
  // A timer, not a worker's result: fenced by attempt whatever the test-only switch says.
  if (instance.state !== 'queued' || instance.attempt !== event.attempt) return false;
  const task = planTaskOf(step.plan, event.taskId);
  const waited = formatDuration(task.queueTimeoutMs ?? 0);
  step.commands.push({ type: 'cancel_attempt', taskId: event.taskId, attempt: event.attempt });
  endFailed(step, event.taskId, {
    type: 'QueueTimeout',
    message: `task '${event.taskId}' waited ${waited} in queue for pool ${task.pool ?? 'default'} without a worker starting it`,
    retryable: false,
  });
  return true;
}

/** A retry or reschedule timer fired: dispatch the attempt it was scheduled for, once. */
export function retryDue(step: Step, event: TaskEvent<'retry_due'>): boolean {
  const instance = instanceOf(step.run, event.taskId);
  const waiting = instance.state === 'up_for_retry' || instance.state === 'up_for_reschedule';
  if (!waiting || instance.attempt + 1 !== event.attempt) return false;
  dispatchTask(step, event.taskId, event.attempt);
  return true;
}
