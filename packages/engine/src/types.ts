import type { Failure, JsonValue, RunState, TaskState, TriggerRule } from '@tributary/core';

/** What the engine needs to know of a sensor: the reschedule mode's interval and time limit. */
export interface PlanSensor {
  mode: 'poke' | 'reschedule';
  intervalMs: number;
  timeoutMs: number;
  softFail: boolean;
}

/**
 * What the engine needs to know of a task. A spec's compiled task satisfies it as it is; the optional
 * fields default as in the spec (Airflow's defaults), so a test can write only what it needs.
 */
export interface PlanTask {
  id: string;
  needs: readonly string[];
  /** Extra attempts after the first fails. */
  retries: number;
  /** Delay before the first retry, in ms. */
  retryDelayMs: number;
  /** @default 'fixed' */
  retryBackoff?: 'fixed' | 'exponential';
  /** Upper bound of a retry delay in ms. @default 24 hours */
  maxRetryDelayMs?: number | null;
  /** Spread each delay over its upper half. @default false */
  retryJitter?: boolean;
  /** @default 'all_success' */
  triggerRule?: TriggerRule;
  /** The task's output names the direct downstream tasks to follow; the others are skipped. */
  branch?: boolean;
  sensor?: PlanSensor | null;
  /** The worker pool that runs the task, named in messages. @default 'default' */
  pool?: string;
  /**
   * How long a dispatched attempt may wait `queued` for a worker to start it, in ms; null or absent for
   * no limit. When it passes the task fails (`QueueTimeout`) without a retry: another try would wait in
   * the same queue.
   */
  queueTimeoutMs?: number | null;
  /**
   * Dynamic fan-out: when the task's rule says run, it becomes one instance per element of the list at
   * `path` in the output of upstream task `upstream`. Null or absent for an ordinary task.
   */
  map?: PlanMap | null;
}

/** Where a mapped task finds the list it fans out over: a field of an upstream task's output. */
export interface PlanMap {
  /** The upstream task (one of the task's `needs`) whose output holds the list. */
  upstream: string;
  /** The keys (or list indexes, as strings) leading from that output to the list; empty for the output itself. */
  path: readonly string[];
}

/** What the engine needs to know of a DAG. */
export interface PlanDag {
  tasks: readonly PlanTask[];
  /** Time limit of a run in ms (Airflow's `dagrun_timeout`); null or absent for none. */
  dagrunTimeoutMs?: number | null;
  /**
   * How many task instances of the DAG may be queued or running at once across all its runs (Airflow's
   * `max_active_tasks`); null or absent for no limit. Within one run the engine enforces it as a per-run
   * limit; across runs the caller does, through {@link TaskSlots}.
   */
  maxActiveTasks?: number | null;
  /** How many of one run's task instances may be queued or running at once; null or absent for no limit. */
  maxActiveTasksPerRun?: number | null;
}

/**
 * A limit shared by several runs (a DAG's `maxActiveTasks` across its runs), kept by the caller. The
 * engine takes a slot for every attempt it dispatches and holds the attempt back in the run's ready
 * queue when none is free; the caller gives slots back when attempts stop being queued or running, and
 * then delivers `slots_freed` to runs that may be waiting.
 */
export interface TaskSlots {
  /** Takes a slot for one attempt; false when none is free. */
  take(): boolean;
}

/** One task instance as the engine tracks it. */
export interface TaskInstanceState {
  state: TaskState;
  /**
   * The current attempt number, which is also the fencing token of its results: 0 until first
   * dispatched, then 1, 2, ... Every dispatch takes a new number, retries and sensor pokes alike.
   */
  attempt: number;
  /**
   * How many of the attempts were reschedule-mode sensor pokes that found their condition not yet met.
   * They do not use up retries: the try number is `attempt - reschedules`. Absent means 0.
   */
  reschedules?: number;
  /** The attempt number when the task was last cleared: tries count from there. Absent means 0. */
  attemptBase?: number;
  /** When a reschedule-mode sensor's first poke of the current try was dispatched (epoch ms). */
  sensorStartedAt?: number;
  /** When an `up_for_retry` or `up_for_reschedule` task becomes due (epoch ms). */
  retryAt?: number;
  /** The output of the successful attempt. */
  output?: JsonValue;
  /** The error of the last failed attempt. */
  error?: Failure;
  /**
   * Set on a mapped task once it fanned out: how many instances it has (`T[0]` to `T[mapCount - 1]`,
   * entries of their own in the snapshot). The task itself never runs; it is `running` while any
   * instance is unfinished and then ends in the state its instances add up to.
   */
  mapCount?: number;
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
  /** When the run times out (epoch ms), set at start from the DAG's `dagrunTimeoutMs`. */
  deadlineAt?: number;
  /** Makes retry jitter differ between runs while staying a pure function of the snapshot (the run id). */
  seed?: string;
}

/** How a task attempt ended unsuccessfully. */
export type FailureReason = 'error' | 'timed_out' | 'lost';

/** Why a task ended `skipped`, for people reading its error field. */
export type SkipReason = Failure;

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
  /** The attempt skipped itself (node: SkipTask; shell: its skip exit code). */
  | { type: 'task_skipped'; taskId: string; attempt: number; reason?: SkipReason; at: number }
  /** A reschedule-mode sensor poked and its condition does not hold yet. */
  | { type: 'task_rescheduled'; taskId: string; attempt: number; at: number }
  /** A retry or reschedule timer fired for `attempt`, the attempt it is to dispatch. */
  | { type: 'retry_due'; taskId: string; attempt: number; at: number }
  | { type: 'run_cancelled'; reason: string; at: number }
  /** The run's `deadlineAt` passed. */
  | { type: 'run_timed_out'; at: number }
  /** The `queueTimeoutMs` of `attempt` passed (see the `schedule_queue_timeout` command). */
  | { type: 'queue_timed_out'; taskId: string; attempt: number; at: number }
  /**
   * Reset these terminal tasks to run again in the same run (pick them with `selectTasksToClear`). It
   * applies to a finished run too, which then runs again.
   */
  | { type: 'tasks_cleared'; taskIds: readonly string[]; at: number }
  /** Slots of a limit shared with other runs ({@link TaskSlots}) were given back: dispatch what waits. */
  | { type: 'slots_freed'; at: number };

/** What the caller must carry out after an event. */
export type Command =
  /** Send this attempt to a worker. */
  | { type: 'dispatch'; taskId: string; attempt: number }
  /**
   * Deliver `retry_due` for `attempt` (the next attempt) at `at`, for a retry or a sensor's next poke;
   * the timer must be durable (the task's `retryAt` holds it).
   */
  | { type: 'schedule_retry'; taskId: string; attempt: number; at: number }
  /** Deliver `run_timed_out` at `at`; the timer must be durable (the run's `deadlineAt` holds it). */
  | { type: 'schedule_run_timeout'; at: number }
  /**
   * Deliver `queue_timed_out` for `attempt` at `at`, unless a worker started it first (the engine ignores
   * the event then, so the timer need not be cancelled). Emitted with the attempt's `dispatch` when the
   * task has a `queueTimeoutMs`; the timer must be durable.
   */
  | { type: 'schedule_queue_timeout'; taskId: string; attempt: number; at: number }
  /** Tell the worker running this attempt to abort it. */
  | { type: 'cancel_attempt'; taskId: string; attempt: number }
  /**
   * The run reached a final state; emitted once each time the run finishes (a finished run runs again
   * only after `reopen_run`).
   */
  | { type: 'finish_run'; state: RunState }
  /** A finished run runs again (tasks were cleared): it is `running`, with no finish time. */
  | { type: 'reopen_run' }
  /**
   * A mapped task fanned out into `count` instances, `taskId[0]` to `taskId[count - 1]`: the caller
   * creates the ones it does not have yet (after a clear, earlier instances are reused), before it
   * records the changes of the same transition.
   */
  | { type: 'expand_map'; taskId: string; count: number };

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
