import type { AttemptState, Failure, RunState, TaskState } from '@tributary/core';
import type { ActiveRun } from './active-runs.js';

/** An attempt a worker started, as recorded in a tick. */
export interface AttemptStarted {
  run: ActiveRun;
  taskId: string;
  attempt: number;
  pool: string;
  workerId: string | null;
  /** When the attempt was queued (epoch ms); null when the run was reloaded since. */
  queuedAt: number | null;
  startedAt: number;
}

/** An attempt that ended (any state but queued and running), as recorded in a tick. */
export interface AttemptEnded {
  run: ActiveRun;
  taskId: string;
  attempt: number;
  pool: string;
  state: Exclude<AttemptState, 'queued' | 'running'>;
  workerId: string | null;
  /** When the attempt was queued (epoch ms); null when the run was reloaded since. */
  queuedAt: number | null;
  /** When the worker started it; null when it never started (cancelled or timed out in the queue). */
  startedAt: number | null;
  finishedAt: number;
  error: Failure | null;
  /** When the task is tried again (`up_for_retry`, `up_for_reschedule`), epoch ms. */
  retryAt: number | null;
}

/** A task instance that reached a terminal state. */
export interface TaskFinished {
  run: ActiveRun;
  taskId: string;
  state: TaskState;
}

/** A run that finished. */
export interface RunFinished {
  run: ActiveRun;
  state: RunState;
  finishedAt: number;
}

/**
 * What one tick did, in the terms telemetry needs: traces and metrics derive from these once the tick
 * committed, never from a tick that rolled back.
 */
export class TickFacts {
  readonly runsCreated: ActiveRun[] = [];
  readonly runsFinished: RunFinished[] = [];
  readonly attemptsStarted: AttemptStarted[] = [];
  readonly attemptsEnded: AttemptEnded[] = [];
  readonly tasksFinished: TaskFinished[] = [];
}

/** Something that learns what each committed tick did (tracing, metrics). */
export interface TickObserver {
  /** Called after the tick committed. Must not throw; it runs on the run loop, so it must be quick. */
  observe(facts: TickFacts): void;
}
