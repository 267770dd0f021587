import { isTerminalTaskState, type RunState, type TaskState } from '@tributary/core';
import type { Plan } from '../plan.js';
import type { TaskChange, Transition } from '../types.js';
import type { SimulationResult } from './simulator.js';

/**
 * Checks a finished simulation against the engine's invariants by replaying its change log, so every rule
 * is judged at the moment the change happened, not only at the end. Returns one line per violation.
 */
export function checkInvariants(plan: Plan, result: SimulationResult): string[] {
  const violations: string[] = [];
  const replay = new Map<string, { state: TaskState; attempt: number }>(
    plan.order.map((id) => [id, { state: 'pending', attempt: 0 }]),
  );
  const completions = new Set<string>();
  let finishes: RunState[] = [];
  const noise = new Set(result.noise);
  result.transitions.forEach((transition, i) => {
    if (!transition.applied && (transition.commands.length > 0 || transition.changes.length > 0)) {
      violations.push(`event ${i} was not applied but produced commands or changes`);
    }
    if (transition.applied && noise.has(i)) violations.push(`injected event ${i} was applied`);
    for (const change of transition.changes) {
      violations.push(...checkChange(plan, replay, completions, change));
    }
    violations.push(...checkCommands(transition));
    finishes = finishes.concat(
      transition.commands.flatMap((c) => (c.type === 'finish_run' ? [c.state] : [])),
    );
  });
  violations.push(...checkEnd(plan, result, replay, finishes));
  return violations;
}

function checkChange(
  plan: Plan,
  replay: Map<string, { state: TaskState; attempt: number }>,
  completions: Set<string>,
  change: TaskChange,
): string[] {
  const violations: string[] = [];
  const task = replay.get(change.taskId)!;
  const what = `${change.taskId}: ${change.from} -> ${change.to} (attempt ${change.attempt})`;
  if (change.from !== task.state) violations.push(`${what}, but it was ${task.state}`);
  if (isTerminalTaskState(task.state)) violations.push(`${what} left a terminal state`);
  if (change.to === 'queued') {
    const waiting = plan.upstream(change.taskId).filter((up) => replay.get(up)!.state !== 'succeeded');
    if (waiting.length > 0) violations.push(`${what} before ${waiting.join(', ')} succeeded`);
    if (change.attempt !== task.attempt + 1) violations.push(`${what} after attempt ${task.attempt}`);
    if (change.attempt > plan.task(change.taskId).retries + 1) violations.push(`${what} exceeds its retries`);
  } else if (change.attempt !== task.attempt) {
    violations.push(`${what} changed the attempt from ${task.attempt}`);
  }
  if (change.to === 'succeeded' || change.to === 'failed' || change.to === 'up_for_retry') {
    const key = `${change.taskId}#${change.attempt}`;
    if (completions.has(key)) violations.push(`${what} completed the same attempt twice`);
    completions.add(key);
  }
  task.state = change.to;
  task.attempt = change.attempt;
  return violations;
}

/** Each dispatch and retry command matches the change that caused it. */
function checkCommands(transition: Transition): string[] {
  const queued = transition.changes.filter((c) => c.to === 'queued').map((c) => `${c.taskId}#${c.attempt}`);
  const dispatched = transition.commands.flatMap((c) =>
    c.type === 'dispatch' ? [`${c.taskId}#${c.attempt}`] : [],
  );
  const retrying = transition.changes
    .filter((c) => c.to === 'up_for_retry')
    .map((c) => `${c.taskId}#${c.attempt + 1}`);
  const scheduled = transition.commands.flatMap((c) =>
    c.type === 'schedule_retry' ? [`${c.taskId}#${c.attempt}`] : [],
  );
  const violations: string[] = [];
  if (queued.join() !== dispatched.join()) violations.push(`queued ${queued} but dispatched ${dispatched}`);
  if (retrying.join() !== scheduled.join())
    violations.push(`retrying ${retrying} but scheduled ${scheduled}`);
  return violations;
}

function checkEnd(
  plan: Plan,
  result: SimulationResult,
  replay: ReadonlyMap<string, { state: TaskState; attempt: number }>,
  finishes: readonly RunState[],
): string[] {
  const violations: string[] = [];
  for (const [id, task] of replay) {
    const actual = result.run.tasks[id]!;
    if (!isTerminalTaskState(actual.state)) violations.push(`${id} ended ${actual.state}, not terminal`);
    if (actual.state !== task.state || actual.attempt !== task.attempt) {
      violations.push(
        `${id} is ${actual.state}#${actual.attempt} but its changes say ${task.state}#${task.attempt}`,
      );
    }
  }
  if (finishes.length !== 1) violations.push(`finish_run was emitted ${finishes.length} times`);
  if (finishes[0] !== result.run.state)
    violations.push(`run is ${result.run.state} but finished ${finishes[0]}`);
  const expected = expectedRunState(plan, result);
  if (result.run.state !== expected) violations.push(`run ended ${result.run.state}, expected ${expected}`);
  return violations;
}

/** Cancelled if a cancel applied; otherwise failed when a leaf failed or upstream_failed (Airflow). */
export function expectedRunState(plan: Plan, result: SimulationResult): RunState {
  const cancelled = result.events.some(
    (e, i) => e.type === 'run_cancelled' && result.transitions[i]!.applied,
  );
  if (cancelled) return 'cancelled';
  const failedLeaf = plan.order.some(
    (id) =>
      plan.downstream(id).length === 0 && ['failed', 'upstream_failed'].includes(result.run.tasks[id]!.state),
  );
  return failedLeaf ? 'failed' : 'succeeded';
}
