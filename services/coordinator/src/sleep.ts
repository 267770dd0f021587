import { setTimeout as delay } from 'node:timers/promises';

/** Sleeps, resolving early (without throwing) when the signal aborts. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  await delay(ms, undefined, { signal }).catch(() => undefined);
}

/**
 * Runs `work` every `intervalMs` until the signal aborts, never overlapping itself. Errors are
 * reported and the loop goes on: a sweep that fails once (database restarting) must not stop for good.
 */
export async function every(
  intervalMs: number,
  signal: AbortSignal,
  work: () => Promise<void>,
  onError: (error: unknown) => void,
): Promise<void> {
  while (!signal.aborted) {
    try {
      await work();
    } catch (error) {
      onError(error);
    }
    await sleep(intervalMs, signal);
  }
}
