/**
 * A task instance's state. Names follow Airflow's where Airflow has one (`up_for_retry`,
 * `up_for_reschedule`, `upstream_failed`); `pending` waits for upstream tasks, `queued` was dispatched
 * and not yet started.
 */
export type TaskState =
  | 'pending'
  | 'queued'
  | 'running'
  | 'up_for_retry'
  | 'up_for_reschedule'
  | 'succeeded'
  | 'failed'
  | 'upstream_failed'
  | 'skipped'
  | 'cancelled';

export const TASK_STATES: readonly TaskState[] = [
  'pending',
  'queued',
  'running',
  'up_for_retry',
  'up_for_reschedule',
  'succeeded',
  'failed',
  'upstream_failed',
  'skipped',
  'cancelled',
];

const TERMINAL_TASK_STATES: ReadonlySet<TaskState> = new Set([
  'succeeded',
  'failed',
  'upstream_failed',
  'skipped',
  'cancelled',
]);

/** Whether a task state is final: nothing moves a task out of it within the same run. */
export function isTerminalTaskState(state: TaskState): boolean {
  return TERMINAL_TASK_STATES.has(state);
}

/** A run's state. `queued`: created, waiting for its DAG's `max_active_runs` to let it start. */
export type RunState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export const RUN_STATES: readonly RunState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

export function isTerminalRunState(state: RunState): boolean {
  return state !== 'running' && state !== 'queued';
}

/**
 * How one attempt of a task ended. `lost` means its worker stopped heartbeating; `timed_out` that
 * it exceeded its `timeout`; `cancelled` that the run was cancelled under it; `skipped` that the task
 * skipped itself; `rescheduled` that a sensor in reschedule mode found its condition not yet met.
 */
export type AttemptState =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'lost'
  | 'cancelled'
  | 'skipped'
  | 'rescheduled';

export const ATTEMPT_STATES: readonly AttemptState[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'lost',
  'cancelled',
  'skipped',
  'rescheduled',
];

/**
 * When a task may run, judged from how its direct upstream tasks ended: Airflow's trigger rules, with
 * Airflow's names. docs/trigger-rules.md has the full truth table.
 */
export type TriggerRule =
  | 'all_success'
  | 'all_failed'
  | 'all_done'
  | 'all_done_min_one_success'
  | 'all_skipped'
  | 'one_success'
  | 'one_failed'
  | 'one_done'
  | 'none_failed'
  | 'none_failed_min_one_success'
  | 'none_skipped'
  | 'always';

export const TRIGGER_RULES: readonly TriggerRule[] = [
  'all_success',
  'all_failed',
  'all_done',
  'all_done_min_one_success',
  'all_skipped',
  'one_success',
  'one_failed',
  'one_done',
  'none_failed',
  'none_failed_min_one_success',
  'none_skipped',
  'always',
];

/** The rule of a task that names none, as in Airflow. */
export const DEFAULT_TRIGGER_RULE: TriggerRule = 'all_success';

/** How a run came to be: TriggerRun, its DAG's schedule, a backfill, an event message, or `after`. */
export type RunType = 'manual' | 'scheduled' | 'backfill' | 'event' | 'after';

export const RUN_TYPES: readonly RunType[] = ['manual', 'scheduled', 'backfill', 'event', 'after'];
