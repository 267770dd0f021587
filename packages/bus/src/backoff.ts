/** Exponential backoff with full jitter, so that many clients retrying after an outage spread out. */
export interface Backoff {
  /** The next delay in ms: doubles from `initialMs` up to `maxMs`, jittered. */
  next(): number;
  /** Back to `initialMs` after a success. */
  reset(): void;
}

/** Creates a {@link Backoff}. */
export function createBackoff(initialMs = 100, maxMs = 5_000): Backoff {
  let attempt = 0;
  return {
    next() {
      const ceiling = Math.min(maxMs, initialMs * 2 ** attempt);
      attempt = Math.min(attempt + 1, 30);
      // Half fixed, half random: never zero (no busy loop), still spread out.
      return ceiling / 2 + Math.random() * (ceiling / 2);
    },
    reset() {
      attempt = 0;
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. Never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
