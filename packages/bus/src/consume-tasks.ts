import type { NatsConnection } from '@nats-io/transport-node';
import { createBackoff } from './backoff.js';
import { decodeTaskMessage } from './codec.js';
import type { JetStreamDelivery } from './jetstream-delivery.js';
import { pull } from './pull.js';
import type { ConsumeTasksOptions, TaskDelivery } from './types.js';

/**
 * How long one task pull request stays open. Short, because a limit shared by several pools can shrink
 * while it is open (a delivery that no longer fits is nak'd for another worker), and because an abort
 * lets open requests finish (naking what they bring) rather than dropping deliveries on the floor until
 * their ack wait.
 */
export const TASK_FETCH_EXPIRES_MS = 1_000;
// How often a loop with no slot to ask for re-reads a shared maxInFlight() that other loops may have freed.
const SLOT_POLL_MS = 100;

/**
 * A worker's pull loop on one pool: at most `maxInFlight` deliveries un-settled at once, running
 * handlers concurrently without awaiting them.
 *
 * A pull request stays open for up to {@link TASK_FETCH_EXPIRES_MS} asking for as many messages as
 * there are free slots, and each message is handled as it arrives: a task published while the worker
 * waits reaches it at once, and a steady trickle costs a request per second rather than one per task.
 * A further request goes out when none is open, or when a quarter of the slots freed up.
 */
export async function consumeTasks(
  nc: NatsConnection,
  target: { stream: string; consumer: string },
  options: ConsumeTasksOptions,
): Promise<void> {
  const limit =
    typeof options.maxInFlight === 'function' ? options.maxInFlight : () => options.maxInFlight as number;
  const slots = new SlotCounter();
  const backoff = createBackoff();
  const open = new Set<Promise<void>>();
  // Messages asked for by open requests and not delivered yet: slots they may still fill.
  let requested = 0;
  let retryAt = 0;
  const stop = () => slots.wake();
  options.signal.addEventListener('abort', stop, { once: true });
  while (!options.signal.aborted) {
    const max = Math.floor(limit());
    const free = max - slots.used - requested;
    const worthAsking = requested === 0 ? free > 0 : free >= Math.max(1, Math.ceil(max / 4));
    if (!worthAsking || Date.now() < retryAt) {
      await slots.waitForChange(Math.max(1, Math.min(SLOT_POLL_MS, retryAt - Date.now())));
      continue;
    }
    requested += free;
    let delivered = 0;
    const sentAt = Date.now();
    const request = pull(nc, {
      ...target,
      batch: free,
      expiresMs: TASK_FETCH_EXPIRES_MS,
      noWait: false,
      onDelivery: (delivery) => {
        delivered++;
        requested--;
        dispatch(delivery, slots, limit, options);
      },
    }).then(
      () => backoff.reset(),
      (error: unknown) => {
        options.onError?.(error);
        retryAt = Date.now() + backoff.next();
      },
    );
    const ended = request.finally(() => {
      requested -= free - delivered;
      // A "requests pending" 408 comes back at once, empty: do not spin on it.
      if (delivered === 0 && Date.now() - sentAt < TASK_FETCH_EXPIRES_MS / 2) {
        retryAt = Math.max(retryAt, Date.now() + SLOT_POLL_MS);
      }
      open.delete(ended);
      slots.wake();
    });
    open.add(ended);
  }
  options.signal.removeEventListener('abort', stop);
  // Open requests end within their expiry; what they still bring is nak'd (the loop is stopping).
  await Promise.all(open);
}

function dispatch(
  delivery: JetStreamDelivery,
  slots: SlotCounter,
  limit: () => number,
  options: ConsumeTasksOptions,
): void {
  // Re-checked here: the loop is stopping, or a limit shared with other pools shrank while fetching.
  if (options.signal.aborted || slots.used >= Math.floor(limit())) {
    delivery.nak();
    return;
  }
  let taskDelivery: TaskDelivery;
  try {
    taskDelivery = toTaskDelivery(delivery);
  } catch (error) {
    // Undecodable: no worker will ever run it.
    delivery.term();
    options.onError?.(error);
    return;
  }
  slots.acquire();
  // Not awaited, by design: handlers run concurrently. Rejections are reported and the delivery nak'd
  // (a nak after the handler's own ack is ignored by the server), and the slot is always released.
  void runHandler(taskDelivery, options).finally(() => slots.release());
}

async function runHandler(delivery: TaskDelivery, options: ConsumeTasksOptions): Promise<void> {
  try {
    await options.handle(delivery);
  } catch (error) {
    delivery.nak();
    options.onError?.(error);
  }
}

function toTaskDelivery(delivery: JetStreamDelivery): TaskDelivery {
  const message = decodeTaskMessage(delivery.msg.data);
  return {
    message,
    traceparent: delivery.traceparent,
    redelivered: delivery.redelivered,
    deliveryCount: delivery.info.deliveryCount,
    working: () => delivery.working(),
    ack: () => delivery.ack(),
    nak: (delayMs) => delivery.nak(delayMs),
    term: () => delivery.term(),
  };
}

/** Counts un-settled deliveries and wakes the loop when one settles or a request ends. */
class SlotCounter {
  used = 0;
  // Ends the loop's wait while it waits (one wait at a time). A plain call: deliveries settle once per
  // task, and an AbortController per wait, with the DOMException its abort makes, cost a few percent
  // of a worker's main thread.
  #endWait: (() => void) | undefined;

  acquire(): void {
    this.used++;
  }

  release(): void {
    this.used--;
    this.wake();
  }

  /** Wakes the loop: something it decides on changed. */
  wake(): void {
    const endWait = this.#endWait;
    this.#endWait = undefined;
    endWait?.();
  }

  /** Resolves on a release or a wake, or after `pollMs`, whichever comes first. */
  waitForChange(pollMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), pollMs);
      this.#endWait = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
