import { DEFAULT_TRIGGER_RULE, isTerminalTaskState, type RunState, type TaskState } from '@tributary/core';
import type { Plan } from './plan.js';
import { instanceOf, isFailedLeaf, type RunIndex, upstreamCountsOf } from './run-index.js';
import { evaluateTriggerRule, type TriggerDecision, upstreamOutcome } from './trigger-rules.js';
import type { Command, RunSnapshot, TaskChange, TaskInstanceState } from './types.js';

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
}

/** Moves a task to a new state (and attempt), recording the change and keeping the counters true. */
export function moveTask(step: Step, id: string, to: TaskState, attempt?: number): TaskInstanceState {
  const instance = instanceOf(step.run, id);
  const from = instance.state;
  instance.state = to;
  if (attempt !== undefined) instance.attempt = attempt;
  step.changes.push({ taskId: id, from, to, attempt: instance.attempt });
  if (isTerminalTaskState(to) && !isTerminalTaskState(from)) countFinished(step, id, to);
  step.index.active += (isActive(to) ? 1 : 0) - (isActive(from) ? 1 : 0);
  return instance;
}

const isActive = (state: TaskState): boolean => state === 'queued' || state === 'running';

function countFinished(step: Step, id: string, state: TaskState): void {
  const { plan, index } = step;
  index.unfinished--;
  if (isFailedLeaf(plan, id, state)) index.failedLeaves++;
  const outcome = upstreamOutcome(state)!;
  for (const down of plan.downstream(id)) upstreamCountsOf(index, down)[outcome]++;
}

/**
 * Sends the next attempt of a task to a worker, or, when the run already has `maxActiveTasks` tasks out,
 * holds it in the ready queue (its state unchanged) until {@link dispatchReady} finds a free slot.
 */
export function dispatchTask(step: Step, id: string, attempt: number): void {
  const limit = step.plan.dag.maxActiveTasks;
  if (limit != null && step.index.active >= limit) {
    if (!step.index.ready.has(id)) step.index.ready.set(id, attempt);
    return;
  }
  const instance = moveTask(step, id, 'queued', attempt);
  delete instance.retryAt;
  // A reschedule-mode sensor's time limit runs from the first poke of a try, across its reschedules.
  if (step.plan.task(id).sensor?.mode === 'reschedule') instance.sensorStartedAt ??= step.at;
  step.commands.push({ type: 'dispatch', taskId: id, attempt });
}

/**
 * After tasks reached a terminal state, lets each pending downstream task's trigger rule decide: run it,
 * end it without running (which in turn decides its own downstream tasks), or keep waiting. Iterative,
 * not recursive: a 20,000-task chain that fails at its head must not overflow the stack.
 */
export function releaseDownstream(step: Step, ...ids: string[]): void {
  const settled = [...ids];
  for (let next = 0; next < settled.length; next++) {
    for (const down of step.plan.downstream(settled[next]!)) {
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
 * Dispatches ready attempts while the run has free slots. An entry whose task moved on meanwhile (the
 * run was cancelled, a retry was superseded) is dropped.
 */
export function dispatchReady(step: Step): void {
  const { index, run, plan } = step;
  const limit = plan.dag.maxActiveTasks;
  while (index.ready.size > 0 && run.state === 'running' && (limit == null || index.active < limit)) {
    const [taskId, attempt] = index.ready.entries().next().value!;
    index.ready.delete(taskId);
    const instance = instanceOf(run, taskId);
    const waiting =
      instance.state === 'pending' ||
      instance.state === 'up_for_retry' ||
      instance.state === 'up_for_reschedule';
    if (waiting && instance.attempt + 1 === attempt) dispatchTask(step, taskId, attempt);
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
