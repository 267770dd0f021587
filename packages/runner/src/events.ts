import type { Failure, JsonObject, JsonValue, RunState, TaskState } from '@tributary/core';

/**
 * Progress of one run, as the CLI renders it. Both the local runner and a remote `trigger --wait`
 * produce these, so they carry no engine internals: only what a person (or a `--json` consumer) needs.
 * Times are epoch milliseconds.
 */
export type RunEvent = RunStateEvent | TaskStateEvent | TaskLogEvent;

/** The run started (`running`) or reached its final state. */
export interface RunStateEvent {
  type: 'run';
  run: string;
  dag: string;
  state: RunState;
  at: number;
}

/** One task instance changed state. */
export interface TaskStateEvent {
  type: 'task';
  task: string;
  state: TaskState;
  attempt: number;
  at: number;
  /** The worker that ran the attempt, when known (remote runs). */
  worker?: string;
  /** How long the attempt ran, set when an attempt just ended. */
  durationMs?: number;
  /** The task's output, set when it succeeded. */
  output?: JsonValue;
  /** The error of the failed attempt (`failed`, `up_for_retry`). */
  error?: Failure;
  /** The last lines the failed attempt logged, oldest first. */
  logTail?: string[];
  /** When the next attempt is due (epoch ms), set for `up_for_retry`. */
  retryAt?: number;
}

/** One line a running task logged. */
export interface TaskLogEvent {
  type: 'log';
  task: string;
  attempt: number;
  stream: 'stdout' | 'stderr' | 'log';
  line: string;
  at: number;
  /** For `log` lines: which `ctx.log` method wrote it (`info`, `warn`, `error`). */
  level?: string;
}

/** How one task instance ended. */
export interface TaskSummary {
  state: TaskState;
  /** Attempts made; 0 when the task never ran. */
  attempts: number;
  output?: JsonValue;
  error?: Failure;
  /** Set on a mapped task that fanned out: how many instances it had (they follow it as `T[0]`, ...). */
  mapCount?: number;
}

/** How a run ended, with every task instance in the DAG's declaration order (instances after their task). */
export interface RunSummary {
  run: {
    id: string;
    dag: string;
    state: RunState;
    startedAt: number;
    finishedAt: number;
    /** Set when the run was for a given logical date: the interval it processed, `start` that date. */
    dataInterval?: { start: number; end: number };
  };
  tasks: Record<string, TaskSummary>;
  /** The run context at the end: every key the run's tasks set (`ctx.context`), keys sorted. */
  context: JsonObject;
}
