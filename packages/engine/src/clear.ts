import { Code, isTerminalTaskState, type Problem, TributaryError } from '@tributary/core';
import { mapInstanceRef } from './map.js';
import type { Plan } from './plan.js';
import { instanceOf, rebuildIndex } from './run-index.js';
import { decide, dispatchTask, moveTask, releaseDownstream, type Step } from './step.js';
import type { RunSnapshot } from './types.js';

/** Which tasks `tributary clear` resets (Airflow's "clear"). */
export interface ClearSelection {
  /** The tasks named by the user. */
  taskIds: readonly string[];
  /** Also every task downstream of them, transitively. */
  downstream?: boolean;
  /** Only those that ended `failed` or `upstream_failed`. */
  failedOnly?: boolean;
}

/**
 * The tasks a clear resets, in topological order: the named ones (and their downstream tasks when
 * asked) that are terminal, filtered to failures when asked. Pending tasks are left out (there is
 * nothing to reset). Throws `InvalidArgument` naming unknown ids, and `FailedPrecondition` naming tasks
 * that are still out (queued, running, or waiting for a retry or a poke): cancel or wait for them first.
 */
export function selectTasksToClear(plan: Plan, run: RunSnapshot, selection: ClearSelection): string[] {
  const unknown = selection.taskIds.filter((id) => !plan.has(id));
  if (unknown.length > 0) {
    const problems: Problem[] = unknown.map((id) => ({ taskId: id, message: unknownTaskMessage(plan, id) }));
    // A mapped instance is not unknown to its user: say what to clear instead.
    const message =
      unknown.length === 1 && mapInstanceRef(plan, unknown[0]!) !== undefined
        ? problems[0]!.message
        : `unknown task ${unknown.map((id) => `'${id}'`).join(', ')}`;
    throw new TributaryError(Code.InvalidArgument, message, { problems });
  }
  if (selection.taskIds.length === 0) {
    throw new TributaryError(Code.InvalidArgument, 'name at least one task to clear', {
      problems: [{ field: 'task_ids', message: 'name at least one task to clear' }],
    });
  }
  const chosen = new Set(selection.taskIds);
  if (selection.downstream === true) {
    const queue = [...chosen];
    for (let next = 0; next < queue.length; next++) {
      for (const down of plan.downstream(queue[next]!)) {
        if (!chosen.has(down)) {
          chosen.add(down);
          queue.push(down);
        }
      }
    }
  }
  const busy = [...chosen].filter((id) => {
    const { state } = instanceOf(run, id);
    return state !== 'pending' && !isTerminalTaskState(state);
  });
  if (busy.length > 0) {
    throw new TributaryError(
      Code.FailedPrecondition,
      `cannot clear ${busy.map((id) => `'${id}' (${instanceOf(run, id).state})`).join(', ')}: wait for ${busy.length === 1 ? 'it' : 'them'} to finish or cancel the run first`,
    );
  }
  return plan.order.filter((id) => {
    if (!chosen.has(id)) return false;
    const { state } = instanceOf(run, id);
    if (!isTerminalTaskState(state)) return false;
    return selection.failedOnly !== true || state === 'failed' || state === 'upstream_failed';
  });
}

function unknownTaskMessage(plan: Plan, id: string): string {
  const ref = mapInstanceRef(plan, id);
  return ref === undefined
    ? `no task '${id}' in the DAG`
    : `'${id}' is an instance of mapped task '${ref.taskId}': clear '${ref.taskId}' to run its instances again`;
}

/**
 * Resets terminal tasks to run again within the same run, keeping their attempt numbers (so earlier
 * attempts stay in the history) and giving each its retries afresh. A finished run runs again: its
 * state goes back to `running` and its `dagrun_timeout`, if any, starts over. Each cleared task's rule
 * then decides as at the start of a run. Tasks that are not terminal are left alone.
 */
export function clearTasks(step: Step, taskIds: readonly string[]): boolean {
  const { plan, run } = step;
  const cleared = plan.order.filter(
    (id) => taskIds.includes(id) && isTerminalTaskState(instanceOf(run, id).state),
  );
  if (cleared.length === 0) return false;
  const reopened = run.state !== 'running';
  for (const id of cleared) {
    const instance = instanceOf(run, id);
    step.changes.push({ taskId: id, from: instance.state, to: 'pending', attempt: instance.attempt });
    instance.state = 'pending';
    instance.attemptBase = instance.attempt;
    delete instance.reschedules;
    delete instance.sensorStartedAt;
    delete instance.retryAt;
    delete instance.output;
    delete instance.error;
    // A mapped task fans out again when it runs: its instances are reused then (see fanOut).
    delete instance.mapCount;
  }
  if (reopened) {
    run.state = 'running';
    delete run.finishedAt;
    step.commands.push({ type: 'reopen_run' });
    const timeoutMs = plan.dag.dagrunTimeoutMs;
    if (timeoutMs != null) {
      run.deadlineAt = step.at + timeoutMs;
      step.commands.push({ type: 'schedule_run_timeout', at: run.deadlineAt });
    }
  }
  // States went backwards, which the counters cannot follow move by move: count again once.
  step.index = rebuildIndex(plan, run);
  for (const id of cleared) {
    if (instanceOf(run, id).state !== 'pending') continue;
    const decision = decide(step, id);
    if (decision === 'run') dispatchTask(step, id, instanceOf(run, id).attempt + 1);
    else if (decision !== 'wait') {
      moveTask(step, id, decision);
      releaseDownstream(step, id);
    }
  }
  return true;
}
