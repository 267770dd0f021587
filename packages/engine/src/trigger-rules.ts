import type { TaskState } from '@tributary/core';

/**
 * When a task may run, judged from how its upstream tasks ended (Airflow's trigger rules). Only
 * `all_success` exists so far; the others (`all_done`, `one_failed`, `none_failed`, ...) are added here.
 */
export type TriggerRule = 'all_success';

/** The rule of a task that names none, as in Airflow. @default 'all_success' */
export const DEFAULT_TRIGGER_RULE: TriggerRule = 'all_success';

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

/** Decides what a pending task with these upstream counts does under `rule`. */
export function evaluateTriggerRule(rule: TriggerRule, counts: UpstreamCounts): TriggerDecision {
  switch (rule) {
    case 'all_success':
      return allSuccess(counts);
  }
}

/**
 * Airflow's default: run once every upstream task succeeded. Like Airflow, it decides as soon as one upstream
 * task failed, without waiting for the others, so a failure reaches the leaves (and the run's state) early.
 * A skipped upstream task skips this one too (Airflow's skip propagation under `all_success`).
 */
function allSuccess(counts: UpstreamCounts): TriggerDecision {
  if (counts.failed > 0 || counts.upstreamFailed > 0 || counts.cancelled > 0) return 'upstream_failed';
  if (counts.skipped > 0) return 'skipped';
  return counts.succeeded === counts.total ? 'run' : 'wait';
}
