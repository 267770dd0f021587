import type { PlanTask } from './types.js';

/** The longest retry delay when a task sets no `maxRetryDelayMs` (Airflow's `max_task_retry_delay`). */
export const DEFAULT_MAX_RETRY_DELAY_MS = 24 * 60 * 60 * 1000;

/**
 * How long a task waits before its next try, after try `tryNumber` (1-based) failed. Fixed backoff waits
 * `retryDelayMs` every time; exponential doubles it per try. Either is capped by `maxRetryDelayMs`. Jitter
 * spreads the delay over its upper half, `[delay / 2, delay]`, so tasks that failed together do not all
 * retry together; it is drawn from a hash of the run's seed, the task and the try, not from a random
 * source, so the engine stays a pure function of its inputs (Airflow derives its jitter from a hash too).
 */
export function retryDelayMs(task: PlanTask, tryNumber: number, seed: string): number {
  const cap = task.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
  const growth = task.retryBackoff === 'exponential' ? 2 ** Math.min(tryNumber - 1, 60) : 1;
  const delay = Math.min(task.retryDelayMs * growth, cap);
  if (task.retryJitter !== true) return delay;
  const half = delay / 2;
  return Math.round(half + unitHash(`${seed}/${task.id}/${tryNumber}`) * half);
}

/** FNV-1a over the string's UTF-16 code units, as a fraction in [0, 1). */
function unitHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 0x1_0000_0000;
}
