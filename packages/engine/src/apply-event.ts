import { clearTasks } from './clear.js';
import { hasInstance } from './map.js';
import type { Plan } from './plan.js';
import { cancelRun, runTimedOut, startRun } from './run-events.js';
import { indexFor } from './run-index.js';
import { dispatchReady, finishIfDone, type Step } from './step.js';
import {
  queueTimedOut,
  retryDue,
  taskFailed,
  taskRescheduled,
  taskSkipped,
  taskStarted,
  taskSucceeded,
} from './task-events.js';
import type { EngineEvent, RunSnapshot, TaskSlots, Transition } from './types.js';

/** What the caller may add to an event. */
export interface ApplyOptions {
  /** A limit this run shares with other runs (its DAG's `maxActiveTasks` on a cluster). */
  taskSlots?: TaskSlots | undefined;
  /**
   * Test-only: accept a result for any attempt of a task that is out or waiting to retry, as a system
   * without attempt fencing would. The fault-injection suite's negative control turns it on to show
   * that fencing is what keeps a paused worker's stale result out. @default false
   */
  unsafeDisableFencing?: boolean;
}

/**
 * Applies one event, mutating `run` in place; returns the commands to carry out and the task changes, in
 * the order they happened. An event that changes nothing (a duplicate, a stale attempt's result, anything
 * after the run finished, a task id the DAG does not have) returns `applied: false` with no commands.
 * Throws `TributaryError(Code.InvalidArgument)` when `run` lacks an entry for a task of `plan`.
 */
export function applyEvent(
  plan: Plan,
  run: RunSnapshot,
  event: EngineEvent,
  options: ApplyOptions = {},
): Transition {
  const step: Step = {
    plan,
    run,
    index: indexFor(plan, run),
    at: event.at,
    commands: [],
    changes: [],
    taskSlots: options.taskSlots,
    unfenced: options.unsafeDisableFencing === true,
  };
  // Only a clear may touch a finished run: it makes the run run again. A queued run (waiting for its
  // DAG's max_active_runs) has nothing out, so a cancel is all that applies to it.
  const open = run.state === 'running' || (run.state === 'queued' && event.type === 'run_cancelled');
  const applied =
    event.type === 'tasks_cleared' ? clearTasks(step, event.taskIds) : open && dispatchEvent(step, event);
  if (applied) {
    dispatchReady(step);
    finishIfDone(step);
  }
  return { commands: step.commands, changes: step.changes, applied };
}

function dispatchEvent(step: Step, event: EngineEvent): boolean {
  switch (event.type) {
    case 'run_started':
      return startRun(step);
    case 'run_cancelled':
      return cancelRun(step);
    case 'run_timed_out':
      return runTimedOut(step);
    case 'tasks_cleared':
      return clearTasks(step, event.taskIds);
    case 'slots_freed': {
      const before = step.changes.length;
      dispatchReady(step);
      return step.changes.length > before;
    }
    default:
      // Results come from workers and timers; one naming a task this run lacks is ignored, not trusted.
      if (!hasInstance(step.plan, step.run, event.taskId)) return false;
      return dispatchTaskEvent(step, event);
  }
}

function dispatchTaskEvent(step: Step, event: Extract<EngineEvent, { taskId: string }>): boolean {
  switch (event.type) {
    case 'task_started':
      return taskStarted(step, event);
    case 'task_succeeded':
      return taskSucceeded(step, event);
    case 'task_failed':
      return taskFailed(step, event);
    case 'task_skipped':
      return taskSkipped(step, event);
    case 'task_rescheduled':
      return taskRescheduled(step, event);
    case 'retry_due':
      return retryDue(step, event);
    case 'queue_timed_out':
      return queueTimedOut(step, event);
  }
}

/**
 * Applies events in order and concatenates their transitions (for a batch read from a queue);
 * `applied` is true when at least one event applied.
 */
export function applyEvents(
  plan: Plan,
  run: RunSnapshot,
  events: readonly EngineEvent[],
  options: ApplyOptions = {},
): Transition {
  const batch: Transition = { commands: [], changes: [], applied: false };
  for (const event of events) {
    const transition = applyEvent(plan, run, event, options);
    batch.commands.push(...transition.commands);
    batch.changes.push(...transition.changes);
    batch.applied ||= transition.applied;
  }
  return batch;
}
