/**
 * How long an attempt runs before the worker reports its start. A shorter one reports once, when it
 * finishes (the coordinator takes a result for a task it still thinks queued): a start report costs a
 * JetStream publish and a coordinator transaction, which for a no-op task outweighed the task itself.
 * Nothing waits on this timer; a task that outlives it shows `running` as before, so heartbeats and lost
 * detection cover it.
 */
export const START_REPORT_DELAY_MS = 20;

/** Publishes an attempt's start once it has run `delayMs`, unless it ended first. */
export class StartReport {
  readonly #timer: NodeJS.Timeout;
  #published: Promise<void> | undefined;

  constructor(publish: () => Promise<void>, delayMs = START_REPORT_DELAY_MS) {
    this.#timer = setTimeout(() => {
      this.#published = publish();
      // Its failure surfaces in settle(); until then it is not an unhandled rejection.
      this.#published.catch(() => undefined);
    }, delayMs);
  }

  /**
   * Cancels the report if it is not out yet, or waits for it, so that a result is published after its
   * start. Rejects when the start's publish failed.
   */
  async settle(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#published;
  }
}
