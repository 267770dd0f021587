import { Code, DEFAULT_TRIGGER_RULE, isTerminalTaskState, TributaryError } from '@tributary/core';
import type { Plan } from './plan.js';
import {
  emptyUpstreamCounts,
  evaluateTriggerRule,
  type UpstreamCounts,
  upstreamOutcome,
} from './trigger-rules.js';
import type { RunSnapshot, TaskInstanceState } from './types.js';

/**
 * Counters that let one event cost only the tasks it touches: per task, how its upstream tasks ended, and
 * per run, how many tasks are not yet terminal and how many leaves ended badly. They are derived from the
 * snapshot alone, so they are not stored in it: a snapshot read back from Postgres rows has none and is
 * indexed again (one pass over tasks and edges) the first time the engine sees it.
 */
export interface RunIndex {
  /** The plan and task table the counters were computed from; another one means they are stale. */
  readonly plan: Plan;
  readonly tasks: RunSnapshot['tasks'];
  readonly upstream: Map<string, UpstreamCounts>;
  /** Tasks not in a terminal state. */
  unfinished: number;
  /** Leaf tasks (no downstream) that ended `failed` or `upstream_failed`: any one fails the run. */
  failedLeaves: number;
  /** Tasks `queued` or `running`: what the run's `maxActiveTasks` limits. */
  active: number;
  /**
   * Attempts (task id to attempt number) that could be dispatched but wait for a free slot under
   * `maxActiveTasks`, oldest first; one entry per task, however often a timer repeats its retry.
   * Not stored: a reloaded run finds its ready tasks again (see {@link buildIndex}).
   */
  ready: Map<string, number>;
}

// Keyed by the snapshot object so that the snapshot itself stays the plain data of its contract.
const indexes = new WeakMap<RunSnapshot, RunIndex>();

/**
 * The counters for `run`, built on first use. A snapshot that was replaced (`run.tasks` is another object)
 * or is driven with another plan is indexed again.
 */
export function indexFor(plan: Plan, run: RunSnapshot): RunIndex {
  const index = indexes.get(run);
  if (index !== undefined && index.plan === plan && index.tasks === run.tasks) return index;
  return buildIndex(plan, run);
}

/**
 * Recomputes the engine's counters for `run` from its task states. The engine does this by itself for a
 * snapshot it has not seen; call it only after changing a snapshot's task entries in place outside the
 * engine. Throws `TributaryError(Code.InvalidArgument)` when the snapshot lacks a task of the plan.
 */
export function rebuildIndexes(plan: Plan, run: RunSnapshot): void {
  buildIndex(plan, run);
}

/** Recomputes the counters of `run` and returns them (for an event that moved states backwards). */
export function rebuildIndex(plan: Plan, run: RunSnapshot): RunIndex {
  return buildIndex(plan, run);
}

function buildIndex(plan: Plan, run: RunSnapshot): RunIndex {
  const index: RunIndex = {
    plan,
    tasks: run.tasks,
    upstream: new Map(),
    unfinished: 0,
    failedLeaves: 0,
    active: 0,
    ready: new Map(),
  };
  for (const id of plan.order) {
    const upstream = plan.upstream(id);
    const counts = emptyUpstreamCounts(upstream.length);
    for (const up of upstream) {
      const outcome = upstreamOutcome(instanceOf(run, up).state);
      if (outcome !== undefined) counts[outcome]++;
    }
    index.upstream.set(id, counts);
    const { state } = instanceOf(run, id);
    if (!isTerminalTaskState(state)) index.unfinished++;
    if (isFailedLeaf(plan, id, state)) index.failedLeaves++;
    if (state === 'queued' || state === 'running') index.active++;
    // A pending task whose rule already says run was held back by the run's limit: it is ready.
    const rule = plan.task(id).triggerRule ?? DEFAULT_TRIGGER_RULE;
    if (state === 'pending' && run.state === 'running' && evaluateTriggerRule(rule, counts) === 'run') {
      index.ready.set(id, instanceOf(run, id).attempt + 1);
    }
  }
  indexes.set(run, index);
  return index;
}

/** Whether a task in `state` makes the run fail: a leaf that ended failed or upstream_failed (Airflow). */
export function isFailedLeaf(plan: Plan, id: string, state: TaskInstanceState['state']): boolean {
  return (state === 'failed' || state === 'upstream_failed') && plan.downstream(id).length === 0;
}

/** The snapshot's entry for a task of the plan; a missing one means the snapshot belongs to another DAG. */
export function instanceOf(run: RunSnapshot, id: string): TaskInstanceState {
  // Own properties only: a task named `constructor` must not find Object.prototype's.
  const instance = Object.hasOwn(run.tasks, id) ? run.tasks[id] : undefined;
  if (instance === undefined) {
    throw new TributaryError(Code.InvalidArgument, `run snapshot has no entry for task '${id}'`, {
      problems: [{ taskId: id, message: 'the run snapshot has no entry for this task of the DAG' }],
    });
  }
  return instance;
}

/** The counts kept for a task of the plan. */
export function upstreamCountsOf(index: RunIndex, id: string): UpstreamCounts {
  const counts = index.upstream.get(id);
  if (counts === undefined) throw new TributaryError(Code.Internal, `no upstream counts for task '${id}'`);
  return counts;
}
