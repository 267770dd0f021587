import { setTimeout as sleep } from 'node:timers/promises';

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long. @default 10_000 */
  timeoutMs?: number;
  /** Pause between calls. @default 50 */
  intervalMs?: number;
  /** What is awaited, for the timeout message ("the run to succeed"). */
  description: string;
}

/** @see WaitForOptions.timeoutMs */
export const DEFAULT_WAIT_TIMEOUT_MS = 10_000;
/** @see WaitForOptions.intervalMs */
export const DEFAULT_WAIT_INTERVAL_MS = 50;

/**
 * Calls `fn` until it returns a truthy value and returns that value. A call that throws counts as "not yet";
 * the last such error is the timeout error's cause, since it usually says why.
 * @throws Error `Timed out after <ms>ms waiting for <description>` after `timeoutMs`.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  options: WaitForOptions,
): Promise<Exclude<T, undefined | null | false | 0 | ''>> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const intervalMs = options.intervalMs ?? DEFAULT_WAIT_INTERVAL_MS;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as Exclude<T, undefined | null | false | 0 | ''>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeoutMs}ms waiting for ${options.description}${why}`, {
        cause: lastError,
      });
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}
