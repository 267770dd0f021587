/**
 * A task instance's state. Names follow Airflow's where Airflow has one (`up_for_retry`,
 * `upstream_failed`); `pending` waits for upstream tasks, `queued` was dispatched and not yet started.
 */
export type TaskState =
  | 'pending'
  | 'queued'
  | 'running'
  | 'up_for_retry'
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

/** A run's state. */
export type RunState = 'running' | 'succeeded' | 'failed' | 'cancelled';

export const RUN_STATES: readonly RunState[] = ['running', 'succeeded', 'failed', 'cancelled'];

export function isTerminalRunState(state: RunState): boolean {
  return state !== 'running';
}

/**
 * How one attempt of a task ended. `lost` means its worker stopped heartbeating; `timed_out` that
 * it exceeded its `timeout`; `cancelled` that the run was cancelled under it.
 */
export type AttemptState = 'queued' | 'running' | 'succeeded' | 'failed' | 'timed_out' | 'lost' | 'cancelled';

export const ATTEMPT_STATES: readonly AttemptState[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'lost',
  'cancelled',
];
