import type { Failure } from '@tributary/core';
import { countsActive, instanceOf } from './run-index.js';
import { decide, dispatchTask, finishRun, moveTask, releaseDownstream, type Step } from './step.js';

/**
 * Starts the run: every task's trigger rule decides once (root tasks run, and so do tasks under `always`,
 * which in Airflow do not wait for their upstream tasks), and the run's deadline is set when the DAG has
 * a `dagrunTimeoutMs`. Returns false for a second `run_started`, recognised by a task that has moved.
 */
export function startRun(step: Step): boolean {
  const { plan, run } = step;
  const first = plan.roots[0];
  if (first !== undefined) {
    const root = instanceOf(run, first);
    if (root.state !== 'pending' || root.attempt > 0) return false;
  }
  const timeoutMs = plan.dag.dagrunTimeoutMs;
  if (timeoutMs != null) {
    run.deadlineAt = step.at + timeoutMs;
    step.commands.push({ type: 'schedule_run_timeout', at: run.deadlineAt });
  }
  for (const id of plan.order) {
    if (instanceOf(run, id).state !== 'pending') continue;
    const decision = decide(step, id);
    if (decision === 'run') {
      dispatchTask(step, id, instanceOf(run, id).attempt + 1);
    } else if (decision !== 'wait') {
      moveTask(step, id, decision);
      releaseDownstream(step, id);
    }
  }
  return true;
}

/**
 * Cancels the run: every task that is not terminal becomes `cancelled`, each dispatched attempt is told to
 * stop, and the run finishes `cancelled`. Nothing is released downstream: every task is ending at once.
 */
export function cancelRun(step: Step): boolean {
  stopUnfinishedTasks(step);
  finishRun(step, 'cancelled');
  return true;
}

/**
 * The run's `dagrun_timeout` passed: like a cancel, but the run ends `failed` and each stopped task says
 * why. (Airflow marks such tasks `skipped`; `cancelled` tells the truth about work that was cut short.)
 * A timer that fires before the deadline (a clock step back on another host) is ignored.
 */
export function runTimedOut(step: Step): boolean {
  const { run } = step;
  if (run.deadlineAt === undefined || step.at < run.deadlineAt) return false;
  const error: Failure = {
    type: 'DagRunTimeout',
    message: `the run exceeded its dagrun_timeout (${(step.plan.dag.dagrunTimeoutMs ?? 0).toString()}ms)`,
    retryable: false,
  };
  stopUnfinishedTasks(step, error);
  finishRun(step, 'failed');
  return true;
}

/** Ends every unfinished task instance, the instances of fanned-out tasks included. */
function stopUnfinishedTasks(step: Step, error?: Failure): void {
  const { run } = step;
  for (const id of Object.keys(run.tasks)) {
    const instance = instanceOf(run, id);
    const { state, attempt } = instance;
    if (countsActive(instance)) {
      step.commands.push({ type: 'cancel_attempt', taskId: id, attempt });
    }
    if (
      state === 'pending' ||
      state === 'queued' ||
      state === 'running' ||
      state === 'up_for_retry' ||
      state === 'up_for_reschedule'
    ) {
      if (error !== undefined) instance.error = error;
      moveTask(step, id, 'cancelled');
      delete instance.retryAt;
    }
  }
}
