import {
  DEFAULT_TRIGGER_RULE,
  instanceId,
  isTerminalTaskState,
  type RunState,
  type TaskState,
} from '@tributary/core';
import { mapInstanceRef, mappedOutcome, planTaskIdOf, planTaskOf, readMapItems } from './map.js';
import type { Plan } from './plan.js';
import {
  countsActive,
  instanceOf,
  isFailedLeaf,
  perRunLimit,
  type RunIndex,
  upstreamCountsOf,
} from './run-index.js';
import { evaluateTriggerRule, type TriggerDecision, upstreamOutcome } from './trigger-rules.js';
import type { Command, RunSnapshot, TaskChange, TaskInstanceState, TaskSlots } from './types.js';

/**
 * One event being applied: what it reads and what it has produced so far. The moves below are the only
 * code that changes a task's state, so `changes` and the index counters can never miss one.
 */
export interface Step {
  readonly plan: Plan;
  readonly run: RunSnapshot;
  /** Replaced only by an event that moves states backwards (a clear), which recounts. */
  index: RunIndex;
  /** The event's time (epoch ms). */
  readonly at: number;
  readonly commands: Command[];
  readonly changes: TaskChange[];
  /** The caller's limit shared with other runs, when there is one. */
  readonly taskSlots?: TaskSlots | undefined;
  /** Test-only: fencing is off (see `ApplyOptions.unsafeDisableFencing`). */
  readonly unfenced?: boolean;
}

/** Moves a task to a new state (and attempt), recording the change and keeping the counters true. */
export function moveTask(step: Step, id: string, to: TaskState, attempt?: number): TaskInstanceState {
  const instance = instanceOf(step.run, id);
  const from = instance.state;
  const wasActive = countsActive(instance);
  instance.state = to;
  if (attempt !== undefined) instance.attempt = attempt;
  step.changes.push({ taskId: id, from, to, attempt: instance.attempt });
  step.index.active += (countsActive(instance) ? 1 : 0) - (wasActive ? 1 : 0);
  if (isTerminalTaskState(to) && !isTerminalTaskState(from)) countFinished(step, id, to);
  return instance;
}

/**
 * Counts a task that just ended. A fanned-out task's instances are what its downstream tasks and the
 * run's leaf rule count, one by one; the task itself ends when its last instance does.
 */
function countFinished(step: Step, id: string, state: TaskState): void {
  const { plan, index, run } = step;
  index.unfinished--;
  if (instanceOf(run, id).mapCount !== undefined) return;
  const ref = mapInstanceRef(plan, id);
  const planId = ref?.taskId ?? id;
  if (isFailedLeaf(plan, planId, state)) index.failedLeaves++;
  const outcome = upstreamOutcome(state)!;
  for (const down of plan.downstream(planId)) upstreamCountsOf(index, down)[outcome]++;
  if (ref === undefined) return;
  const left = (index.mapLeft.get(ref.taskId) ?? 1) - 1;
  index.mapLeft.set(ref.taskId, left);
  if (left === 0 && instanceOf(run, ref.taskId).state === 'running') {
    const outcome = mappedOutcome(run, ref.taskId);
    if (outcome.error !== undefined) instanceOf(run, ref.taskId).error = outcome.error;
    moveTask(step, ref.taskId, outcome.state);
  }
}

/**
 * Sends the next attempt of a task to a worker, or, when the run or the caller's shared limit has no
 * free slot, holds it in the ready queue (its state unchanged) until {@link dispatchReady} finds one.
 * A mapped task fans out instead (see {@link fanOut}).
 */
export function dispatchTask(step: Step, id: string, attempt: number): void {
  if (step.plan.has(id) && step.plan.task(id).map != null) {
    fanOut(step, id);
    return;
  }
  if (!takeSlot(step)) {
    if (!step.index.ready.has(id)) step.index.ready.set(id, attempt);
    return;
  }
  sendAttempt(step, id, attempt);
}

/** Whether one more attempt may go out now under the run's limit and the caller's; takes the slot. */
function takeSlot(step: Step): boolean {
  const limit = perRunLimit(step.plan.dag);
  if (limit != null && step.index.active >= limit) return false;
  return step.taskSlots?.take() ?? true;
}

function sendAttempt(step: Step, id: string, attempt: number): void {
  const instance = moveTask(step, id, 'queued', attempt);
  delete instance.retryAt;
  // A reschedule-mode sensor's time limit runs from the first poke of a try, across its reschedules.
  const task = planTaskOf(step.plan, id);
  if (task.sensor?.mode === 'reschedule') instance.sensorStartedAt ??= step.at;
  step.commands.push({ type: 'dispatch', taskId: id, attempt });
  if (task.queueTimeoutMs != null) {
    const at = step.at + task.queueTimeoutMs;
    step.commands.push({ type: 'schedule_queue_timeout', taskId: id, attempt, at });
  }
}

/**
 * A mapped task whose rule says run fans out: one instance per element of its list, each dispatched
 * like a task (under the same limits). The task itself is `running` until its last instance ends. An
 * empty list skips it, as in Airflow; no list fails it, without retries (the same output would be read
 * again). Instances left from before a clear are reused, so their attempt history goes on; any beyond
 * the new list stay as they ended, no longer part of the task.
 */
function fanOut(step: Step, id: string): void {
  const { run, index } = step;
  const parent = instanceOf(run, id);
  const read = readMapItems(run, id, step.plan.task(id).map!);
  if ('error' in read || read.items.length === 0) {
    if ('error' in read) parent.error = read.error;
    moveTask(step, id, 'error' in read ? 'failed' : 'skipped');
    releaseDownstream(step, id);
    return;
  }
  const count = read.items.length;
  parent.mapCount = count;
  moveTask(step, id, 'running');
  step.commands.push({ type: 'expand_map', taskId: id, count });
  // Each instance now stands for the task in its downstream tasks' counts, as one upstream task each.
  for (const down of step.plan.downstream(id)) upstreamCountsOf(index, down).total += count - 1;
  index.mapLeft.set(id, count);
  for (let i = 0; i < count; i++) {
    const childId = instanceId(id, i);
    const earlier = Object.hasOwn(run.tasks, childId) ? run.tasks[childId]! : undefined;
    if (earlier === undefined) {
      run.tasks[childId] = { state: 'pending', attempt: 0 };
    } else {
      step.changes.push({ taskId: childId, from: earlier.state, to: 'pending', attempt: earlier.attempt });
      run.tasks[childId] = { state: 'pending', attempt: earlier.attempt, attemptBase: earlier.attempt };
    }
    index.unfinished++;
    dispatchTask(step, childId, run.tasks[childId]!.attempt + 1);
  }
}

/**
 * After tasks reached a terminal state, lets each pending downstream task's trigger rule decide: run it,
 * end it without running (which in turn decides its own downstream tasks), or keep waiting. Iterative,
 * not recursive: a 20,000-task chain that fails at its head must not overflow the stack.
 */
export function releaseDownstream(step: Step, ...ids: string[]): void {
  const settled = [...ids];
  for (let next = 0; next < settled.length; next++) {
    for (const down of step.plan.downstream(planTaskIdOf(step.plan, settled[next]!))) {
      if (instanceOf(step.run, down).state !== 'pending') continue;
      const decision = decide(step, down);
      if (decision === 'run') {
        dispatchTask(step, down, instanceOf(step.run, down).attempt + 1);
      } else if (decision !== 'wait') {
        moveTask(step, down, decision);
        settled.push(down);
      }
    }
  }
}

/** Lets a pending task's trigger rule decide, as for a root task when the run starts. */
export function decide(step: Step, id: string): TriggerDecision {
  const rule = step.plan.task(id).triggerRule ?? DEFAULT_TRIGGER_RULE;
  return evaluateTriggerRule(rule, upstreamCountsOf(step.index, id));
}

/**
 * Dispatches ready attempts, oldest first, while the run and the caller's shared limit have free slots.
 * An entry whose task moved on meanwhile (the run was cancelled, a retry was superseded) is dropped.
 */
export function dispatchReady(step: Step): void {
  const { index, run } = step;
  for (const [taskId, attempt] of index.ready) {
    if (run.state !== 'running') return;
    const instance = instanceOf(run, taskId);
    const waiting =
      instance.state === 'pending' ||
      instance.state === 'up_for_retry' ||
      instance.state === 'up_for_reschedule';
    if (!waiting || instance.attempt + 1 !== attempt) {
      index.ready.delete(taskId);
      continue;
    }
    if (!takeSlot(step)) return;
    index.ready.delete(taskId);
    sendAttempt(step, taskId, attempt);
  }
}

/** Ends the run: sets its final state and time and emits the one `finish_run` command. */
export function finishRun(step: Step, state: RunState): void {
  step.run.state = state;
  step.run.finishedAt = step.at;
  step.commands.push({ type: 'finish_run', state });
}

/** Ends the run once no task is left to move; its state follows Airflow's leaf rule. */
export function finishIfDone(step: Step): void {
  if (step.run.state !== 'running' || step.index.unfinished > 0) return;
  finishRun(step, step.index.failedLeaves > 0 ? 'failed' : 'succeeded');
}
