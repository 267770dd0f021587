import { Code, TributaryError } from '@tributary/core';

/** One task attempt, as cancel notices and heartbeats name it. */
export interface AttemptKey {
  runId: string;
  taskId: string;
  attempt: number;
}

/** A cancel notice: empty `taskId` means every task of the run, attempt 0 any attempt. */
export interface CancelPattern extends AttemptKey {
  reason: string;
}

/** Whether a cancel notice applies to an attempt. */
export function cancelMatches(pattern: CancelPattern, key: AttemptKey): boolean {
  return (
    pattern.runId === key.runId &&
    (pattern.taskId === '' || pattern.taskId === key.taskId) &&
    (pattern.attempt === 0 || pattern.attempt === key.attempt)
  );
}

/** How long a cancel notice is remembered for attempts delivered after it. */
export const CANCEL_MEMORY_MS = 5 * 60_000;

interface RunningAttempt extends AttemptKey {
  pool: string;
  controller: AbortController;
}

/**
 * The attempts this worker is running, and the cancel notices it has seen recently: a notice can overtake
 * the task it cancels (the task is still queued in JetStream), so notices are kept for a while.
 */
export class AttemptRegistry {
  private readonly running = new Set<RunningAttempt>();
  private notices: { pattern: CancelPattern; until: number }[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Registers a running attempt; its controller aborts when a matching notice arrives. */
  start(
    key: AttemptKey,
    pool: string,
  ): { signal: AbortSignal; abort(reason: unknown): void; finish(): void } {
    const entry: RunningAttempt = { ...key, pool, controller: new AbortController() };
    this.running.add(entry);
    return {
      signal: entry.controller.signal,
      abort: (reason) => entry.controller.abort(reason),
      finish: () => this.running.delete(entry),
    };
  }

  /** Aborts every matching running attempt and remembers the notice. Returns how many were aborted. */
  cancel(pattern: CancelPattern): number {
    this.notices = this.notices.filter((notice) => notice.until > this.now());
    this.notices.push({ pattern, until: this.now() + CANCEL_MEMORY_MS });
    let aborted = 0;
    for (const entry of this.running) {
      if (!cancelMatches(pattern, entry) || entry.controller.signal.aborted) continue;
      entry.controller.abort(
        new TributaryError(Code.Cancelled, `cancelled: ${pattern.reason || 'no reason given'}`),
      );
      aborted++;
    }
    return aborted;
  }

  /** The remembered notice that cancels this attempt, if any. */
  cancelledBy(key: AttemptKey): CancelPattern | undefined {
    const now = this.now();
    return this.notices.find((notice) => notice.until > now && cancelMatches(notice.pattern, key))?.pattern;
  }

  /** Aborts every running attempt (the worker is stopping), with `reason`. */
  abortAll(reason: unknown): void {
    for (const entry of this.running) entry.controller.abort(reason);
  }

  /** Running attempts, for heartbeats. */
  list(): AttemptKey[] {
    return [...this.running].map(({ runId, taskId, attempt }) => ({ runId, taskId, attempt }));
  }

  get size(): number {
    return this.running.size;
  }

  /** How many attempts of `pool` are running. */
  countIn(pool: string): number {
    let count = 0;
    for (const entry of this.running) if (entry.pool === pool) count++;
    return count;
  }
}
