import type { RunNotification } from './tick-batch.js';

type Listener = (notification: RunNotification) => void;

/**
 * Fans committed run changes out to WatchRun streams in this process. Listeners are called after the
 * change is durable, so a watcher never sees a state the database does not hold.
 */
export class WatchHub {
  readonly #listeners = new Map<string, Set<Listener>>();

  /** Listens to one run's changes; returns the unsubscribe function. */
  subscribe(runId: string, listener: Listener): () => void {
    let set = this.#listeners.get(runId);
    if (!set) {
      set = new Set();
      this.#listeners.set(runId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(runId);
    };
  }

  /** Tells every watcher that this coordinator's notifications stop here (it is no longer the leader). */
  interruptAll(): void {
    for (const [runId, set] of this.#listeners)
      for (const listener of set) listener({ runId, type: 'interrupted' });
  }

  publish(notifications: readonly RunNotification[]): void {
    for (const notification of notifications) {
      const set = this.#listeners.get(notification.runId);
      if (set) for (const listener of set) listener(notification);
    }
  }
}
