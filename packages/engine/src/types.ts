import type { Failure, JsonValue, RunState, TaskState } from '@tributary/core';

/** What the engine needs to know of a task. A spec's compiled task satisfies it as it is. */
export interface PlanTask {
  id: string;
  needs: readonly string[];
  /** Extra attempts after the first fails. */
  retries: number;
  /** Delay before a retry, in ms. */
  retryDelayMs: number;
}

/** What the engine needs to know of a DAG. */
export interface PlanDag {
  tasks: readonly PlanTask[];
}

/** One task instance as the engine tracks it. */
export interface TaskInstanceState {
  state: TaskState;
  /** The current attempt number: 0 until first dispatched, then 1, 2, ... */
  attempt: number;
  /** When an `up_for_retry` task becomes due (epoch ms). */
  retryAt?: number;
  /** The output of the successful attempt. */
  output?: JsonValue;
  /** The error of the last failed attempt. */
  error?: Failure;
}

/**
 * A run's whole scheduling state. It is plain data (serialisable, comparable) and the engine mutates
 * it in place for speed: a 20,000-task run must not be copied on every event. A caller that needs the
 * old state (or whose write of the new one failed) keeps or reloads its own copy.
 */
export interface RunSnapshot {
  state: RunState;
  tasks: Record<string, TaskInstanceState>;
  finishedAt?: number;
}

/** How a task attempt ended unsuccessfully. */
export type FailureReason = 'error' | 'timed_out' | 'lost';

/** Something that happened to a run. `at` is epoch ms: the engine never reads the clock. */
export type EngineEvent =
  | { type: 'run_started'; at: number }
  | { type: 'task_started'; taskId: string; attempt: number; at: number }
  | { type: 'task_succeeded'; taskId: string; attempt: number; output: JsonValue; at: number }
  | {
      type: 'task_failed';
      taskId: string;
      attempt: number;
      reason: FailureReason;
      error: Failure;
      at: number;
    }
  | { type: 'retry_due'; taskId: string; attempt: number; at: number }
  | { type: 'run_cancelled'; reason: string; at: number };

/** What the caller must carry out after an event. */
export type Command =
  /** Send this attempt to a worker. */
  | { type: 'dispatch'; taskId: string; attempt: number }
  /** Deliver `retry_due` for `attempt` (the next attempt) at `at`; the timer must be durable. */
  | { type: 'schedule_retry'; taskId: string; attempt: number; at: number }
  /** Tell the worker running this attempt to abort it. */
  | { type: 'cancel_attempt'; taskId: string; attempt: number }
  /** The run reached its final state; emitted exactly once per run. */
  | { type: 'finish_run'; state: RunState };

/** One task instance whose state changed, for the caller to persist and report. */
export interface TaskChange {
  taskId: string;
  from: TaskState;
  to: TaskState;
  attempt: number;
}

/** The outcome of applying one event. */
export interface Transition {
  commands: Command[];
  changes: TaskChange[];
  /** False when the event was stale or a duplicate (e.g. a result for an older attempt). */
  applied: boolean;
}
