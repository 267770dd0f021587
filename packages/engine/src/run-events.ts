import { instanceOf } from './run-index.js';
import { decide, dispatchTask, finishRun, moveTask, releaseDownstream, type Step } from './step.js';

/**
 * Starts the run: each root task's trigger rule decides (so far: dispatch attempt 1). Returns false for a
 * second `run_started`, recognised by a root task that has already moved.
 */
export function startRun(step: Step): boolean {
  const { plan, run } = step;
  const first = plan.roots[0];
  if (first !== undefined) {
    const root = instanceOf(run, first);
    if (root.state !== 'pending' || root.attempt > 0) return false;
  }
  for (const id of plan.roots) {
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
  const { plan, run } = step;
  for (const id of plan.order) {
    const instance = instanceOf(run, id);
    const { state, attempt } = instance;
    if (state === 'queued' || state === 'running') {
      step.commands.push({ type: 'cancel_attempt', taskId: id, attempt });
    }
    if (state === 'pending' || state === 'queued' || state === 'running' || state === 'up_for_retry') {
      moveTask(step, id, 'cancelled');
      delete instance.retryAt;
    }
  }
  finishRun(step, 'cancelled');
  return true;
}
