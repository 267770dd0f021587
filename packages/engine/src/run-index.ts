import { Code, DEFAULT_TRIGGER_RULE, isTerminalTaskState, TributaryError } from '@tributary/core';
import { mapInstanceIds } from './map.js';
import type { Plan } from './plan.js';
import {
  emptyUpstreamCounts,
  evaluateTriggerRule,
  type UpstreamCounts,
  upstreamOutcome,
} from './trigger-rules.js';
import type { PlanDag, RunSnapshot, TaskInstanceState } from './types.js';

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
  /** Task instances `queued` or `running`: what the run's limit counts (see {@link perRunLimit}). */
  active: number;
  /** Per fanned-out task that is still running, how many of its instances are not terminal. */
  mapLeft: Map<string, number>;
  /**
   * Attempts (task id to attempt number) that could be dispatched but wait for a free slot under the
   * run's limit or the caller's shared one, oldest first; one entry per task, however often a timer repeats its retry.
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
    mapLeft: new Map(),
    ready: new Map(),
  };
  for (const id of plan.order) {
    index.upstream.set(id, countUpstream(plan, run, id));
    const instance = instanceOf(run, id);
    if (instance.mapCount === undefined) {
      countInstance(plan, run, index, id, id);
    } else {
      // A fanned-out task counts as unfinished until its instances are done; they count for the rest.
      if (!isTerminalTaskState(instance.state)) index.unfinished++;
      let left = 0;
      for (const child of mapInstanceIds(run, id)) {
        countInstance(plan, run, index, child, id);
        if (!isTerminalTaskState(instanceOf(run, child).state)) left++;
      }
      if (instance.state === 'running') index.mapLeft.set(id, left);
    }
  }
  indexes.set(run, index);
  return index;
}

/** How a task's upstream tasks ended so far; a fanned-out upstream task counts once per instance. */
function countUpstream(plan: Plan, run: RunSnapshot, id: string): UpstreamCounts {
  const counts = emptyUpstreamCounts(0);
  for (const up of plan.upstream(id)) {
    const instance = instanceOf(run, up);
    const ids = instance.mapCount === undefined ? [up] : mapInstanceIds(run, up);
    counts.total += ids.length;
    for (const counted of ids) {
      const outcome = upstreamOutcome(instanceOf(run, counted).state);
      if (outcome !== undefined) counts[outcome]++;
    }
  }
  return counts;
}

/** Adds one task instance (`planId` is its plan task: itself, or the task it was mapped from). */
function countInstance(plan: Plan, run: RunSnapshot, index: RunIndex, id: string, planId: string): void {
  const instance = instanceOf(run, id);
  const { state } = instance;
  if (!isTerminalTaskState(state)) index.unfinished++;
  if (isFailedLeaf(plan, planId, state)) index.failedLeaves++;
  if (countsActive(instance)) index.active++;
  if (state !== 'pending' || run.state !== 'running') return;
  // A pending task whose rule already says run was held back by a limit: it is ready. So is a pending
  // instance of a task that fanned out. A mapped task is not: it fans out at once, it never waits.
  const ready =
    id === planId
      ? plan.task(id).map == null &&
        evaluateTriggerRule(plan.task(id).triggerRule ?? DEFAULT_TRIGGER_RULE, index.upstream.get(id)!) ===
          'run'
      : instanceOf(run, planId).state === 'running';
  if (ready) index.ready.set(id, instance.attempt + 1);
}

/** Whether an instance takes a slot under the limits: queued or running, and not a fanned-out task. */
export function countsActive(instance: TaskInstanceState): boolean {
  return (instance.state === 'queued' || instance.state === 'running') && instance.mapCount === undefined;
}

/**
 * The limit on one run's active task instances: its own, and no more than the DAG's across its runs
 * (which the caller enforces across runs, see `TaskSlots`).
 */
export function perRunLimit(dag: PlanDag): number | null {
  const limits = [dag.maxActiveTasksPerRun, dag.maxActiveTasks].filter((n): n is number => n != null);
  return limits.length === 0 ? null : Math.min(...limits);
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
