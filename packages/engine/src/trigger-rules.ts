import type { TaskState, TriggerRule } from '@tributary/core';

/**
 * How many of a task's upstream tasks ended in each terminal state. Every rule can be decided from these
 * counts alone, so the engine keeps them per task and never rescans upstream tasks.
 */
export interface UpstreamCounts {
  /** Upstream tasks in all. */
  total: number;
  succeeded: number;
  failed: number;
  upstreamFailed: number;
  skipped: number;
  cancelled: number;
}

/** The counter that a terminal task state adds to in its downstream tasks' {@link UpstreamCounts}. */
export type UpstreamOutcome = Exclude<keyof UpstreamCounts, 'total'>;

/**
 * What a pending task should do now: `wait` for more upstream tasks to finish, `run`, or end without
 * running as `upstream_failed` or `skipped`.
 */
export type TriggerDecision = 'wait' | 'run' | 'upstream_failed' | 'skipped';

/** Zeroed counts for a task with `total` upstream tasks. */
export function emptyUpstreamCounts(total: number): UpstreamCounts {
  return { total, succeeded: 0, failed: 0, upstreamFailed: 0, skipped: 0, cancelled: 0 };
}

/** Which counter a terminal state adds to; undefined for a state that is not terminal. */
export function upstreamOutcome(state: TaskState): UpstreamOutcome | undefined {
  switch (state) {
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'upstream_failed':
      return 'upstreamFailed';
    case 'skipped':
      return 'skipped';
    case 'cancelled':
      return 'cancelled';
    default:
      return undefined;
  }
}

/** The counts as Airflow's `trigger_rule_dep.py` names them. */
interface Tally {
  upstream: number;
  success: number;
  failed: number;
  upstreamFailed: number;
  skipped: number;
  done: number;
  allDone: boolean;
}

function tally(counts: UpstreamCounts): Tally {
  // Airflow has no `cancelled`; here it only arises when a run is cancelled or times out, and a task
  // that was stopped did not do its work, so rules count it as failed.
  const failed = counts.failed + counts.cancelled;
  const done = counts.succeeded + failed + counts.upstreamFailed + counts.skipped;
  return {
    upstream: counts.total,
    success: counts.succeeded,
    failed,
    upstreamFailed: counts.upstreamFailed,
    skipped: counts.skipped,
    done,
    allDone: done >= counts.total,
  };
}

/**
 * Decides what a pending task with these upstream counts does under `rule`, exactly as Airflow's
 * `TriggerRuleDep` does with `flag_upstream_failed` (what its scheduler uses): first the checks that end a
 * task without running it (they may fire before every upstream task is done), then the checks that let it
 * run; otherwise it waits. A task without upstream tasks always runs. docs/trigger-rules.md has the table.
 */
export function evaluateTriggerRule(rule: TriggerRule, counts: UpstreamCounts): TriggerDecision {
  if (counts.total === 0 || rule === 'always') return 'run';
  const t = tally(counts);
  const ended = endsWithoutRunning(rule, t);
  if (ended !== undefined) return ended;
  return mayRun(rule, t) ? 'run' : 'wait';
}

/** Airflow's state rewrite: when the rule can no longer be met, the state the task ends in. */
function endsWithoutRunning(rule: TriggerRule, t: Tally): 'upstream_failed' | 'skipped' | undefined {
  const anyFailure = t.failed > 0 || t.upstreamFailed > 0;
  switch (rule) {
    case 'all_success':
      if (anyFailure) return 'upstream_failed';
      return t.skipped > 0 ? 'skipped' : undefined;
    case 'all_failed':
      return t.success > 0 || t.skipped > 0 ? 'skipped' : undefined;
    case 'all_done_min_one_success':
      // Airflow's code skips on any skipped upstream task, although its docs say that skipped upstream
      // tasks are ignored; we follow the code (docs/trigger-rules.md says so).
      if (t.skipped > 0) return 'skipped';
      return t.allDone && t.success === 0 ? 'upstream_failed' : undefined;
    case 'all_skipped':
      return t.success > 0 || anyFailure ? 'skipped' : undefined;
    case 'one_success':
      if (t.allDone && t.done === t.skipped) return 'skipped';
      return t.allDone && t.success === 0 ? 'upstream_failed' : undefined;
    case 'one_failed':
      return t.allDone && !anyFailure ? 'skipped' : undefined;
    case 'one_done':
      return t.allDone && t.failed === 0 && t.success === 0 ? 'skipped' : undefined;
    case 'none_failed':
      return anyFailure ? 'upstream_failed' : undefined;
    case 'none_failed_min_one_success':
      if (anyFailure) return 'upstream_failed';
      return t.skipped === t.upstream ? 'skipped' : undefined;
    case 'none_skipped':
      return t.skipped > 0 ? 'skipped' : undefined;
    case 'all_done':
    case 'always':
      return undefined;
  }
}

/** Airflow's passing checks: whether the task may run now. */
function mayRun(rule: TriggerRule, t: Tally): boolean {
  switch (rule) {
    case 'all_success':
      return t.success >= t.upstream;
    case 'all_failed':
      return t.failed + t.upstreamFailed >= t.upstream;
    case 'all_done':
      return t.allDone;
    case 'all_done_min_one_success':
      return t.allDone && t.skipped === 0 && t.success > 0;
    case 'all_skipped':
      return t.skipped >= t.upstream;
    case 'one_success':
      return t.success > 0;
    case 'one_failed':
      return t.failed > 0 || t.upstreamFailed > 0;
    case 'one_done':
      return t.success + t.failed > 0;
    case 'none_failed':
    case 'none_failed_min_one_success':
      return t.success + t.skipped >= t.upstream;
    case 'none_skipped':
      return t.allDone && t.skipped === 0;
    case 'always':
      return true;
  }
}
