import { type Failure, formatDuration } from '@tributary/core';

/** Why an attempt was stopped before it finished on its own. */
export type StopReason = 'timeout' | 'cancel' | 'close';

export interface AttemptStopperOptions {
  /** The caller's cancel signal. */
  signal?: AbortSignal | undefined;
  /** Null: no timeout. */
  timeoutMs: number | null;
  killGraceMs: number;
  /** Asks the task to stop: aborts its AbortSignal, or sends SIGTERM to its process group. */
  onStop: (reason: StopReason) => void;
  /** Stops the task by force: kills its thread or sends SIGKILL to its process group. */
  onKill: () => void;
}

/**
 * The stop logic both executors share: a timeout clock, the caller's cancel signal and `close()`, each
 * asking the task to stop first and killing it once `killGraceMs` has passed. The first reason wins.
 */
export interface AttemptStopper {
  readonly reason: StopReason | undefined;
  /** Starts the timeout clock; node tasks start it when the thread picks the task up, not when queued. */
  startClock(): void;
  stop(reason: StopReason): void;
  /** Kills at once, skipping the grace period (used by `close()`). */
  kill(): void;
  /** Clears timers and listeners; call when the attempt has ended. */
  dispose(): void;
}

export function createAttemptStopper(options: AttemptStopperOptions): AttemptStopper {
  let reason: StopReason | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let killed = false;
  const kill = (): void => {
    if (killed) return;
    killed = true;
    clearTimeout(killTimer);
    options.onKill();
  };
  const stop = (next: StopReason): void => {
    if (reason !== undefined) return;
    reason = next;
    clearTimeout(timeoutTimer);
    options.onStop(next);
    killTimer = setTimeout(kill, options.killGraceMs);
  };
  const onAbort = (): void => stop('cancel');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    get reason() {
      return reason;
    },
    startClock() {
      if (options.timeoutMs === null || reason !== undefined || timeoutTimer !== undefined) return;
      timeoutTimer = setTimeout(() => stop('timeout'), options.timeoutMs);
    },
    stop,
    kill() {
      stop('close');
      kill();
    },
    dispose() {
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** The failure recorded for a stopped attempt, and its outcome. */
export function stopResult(
  reason: StopReason,
  taskId: string,
  timeoutMs: number | null,
): { outcome: 'timed_out' | 'cancelled'; error: Failure } {
  if (reason === 'timeout') {
    const ms = timeoutMs ?? 0;
    return {
      outcome: 'timed_out',
      error: {
        type: 'TimeoutError',
        message: `task '${taskId}' timed out after ${formatDuration(ms)} (timeout ${ms} ms)`,
        retryable: true,
        details: { timeoutMs: ms },
      },
    };
  }
  const closed = reason === 'close';
  return {
    outcome: 'cancelled',
    error: {
      type: 'CancelledError',
      message: closed
        ? `task '${taskId}' was cancelled: the executor was closed`
        : `task '${taskId}' was cancelled`,
      // Closing a worker is not the task's fault: another worker may run it.
      retryable: closed,
    },
  };
}
