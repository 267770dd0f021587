import { sleep } from './sleep.js';

/**
 * The time the scheduler goes by. Tests pass a clock they move by hand, so that catchup, daylight
 * saving changes and overlaps are tested without waiting through real minutes.
 */
export interface Clock {
  /** Epoch ms. */
  now(): number;
  /** Resolves after `ms` of this clock's time, or at once (without throwing) when the signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now(), sleep };
