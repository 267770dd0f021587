import type { Clock } from '@tributary/coordinator';

/**
 * A clock a test moves by hand, for the coordinator's scheduler: its sleeps end only when the test
 * advances it (or the sleeper's signal aborts), so a test goes through hours of schedule in an instant,
 * and knows when the scheduler finished the pass it caused.
 */
export class ManualClock implements Clock {
  #now: number;
  #sleepers = new Set<() => void>();
  #sleepCalls: (() => void)[] = [];

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** How long the scheduler asked to sleep, last first is `at(-1)`. */
  readonly sleeps: number[] = [];

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    // A sleep call means the scheduler finished a pass: whoever waits for one is told.
    const waiting = this.#sleepCalls;
    this.#sleepCalls = [];
    for (const resolve of waiting) resolve();
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.#sleepers.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.#sleepers.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  /**
   * Moves the clock by `ms` (0 to just let the scheduler look again) and resolves once the scheduler
   * has made a whole pass at the new time: the pass in flight, if any, then one that starts after the move.
   */
  async advance(ms: number): Promise<void> {
    this.#now += ms;
    for (let pass = 0; pass < 2; pass++) {
      const slept = new Promise<void>((resolve) => this.#sleepCalls.push(resolve));
      for (const wake of [...this.#sleepers]) wake();
      await slept;
    }
  }

  /** Moves the clock by `ms` without waking anyone: time passing while no scheduler runs (an outage). */
  jump(ms: number): void {
    this.#now += ms;
  }
}
