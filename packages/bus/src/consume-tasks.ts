import type { NatsConnection } from '@nats-io/transport-node';
import { createBackoff, sleep } from './backoff.js';
import { decodeTaskMessage } from './codec.js';
import type { JetStreamDelivery } from './jetstream-delivery.js';
import { pull } from './pull.js';
import type { ConsumeTasksOptions, TaskDelivery } from './types.js';

/**
 * How long one task fetch waits for the first message. Short, because an abort lets the fetch finish
 * (naking what it brings) rather than dropping deliveries on the floor until their ack wait.
 */
export const TASK_FETCH_EXPIRES_MS = 1_000;
// How often a loop with no free slot re-reads a shared maxInFlight() that other loops may have freed.
const SLOT_POLL_MS = 100;

/**
 * A worker's pull loop on one pool: at most `maxInFlight` deliveries un-settled at once, fetching only as
 * many as there are free slots, running handlers concurrently without awaiting them.
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
  while (!options.signal.aborted) {
    const free = Math.floor(limit()) - slots.used;
    if (free <= 0) {
      await slots.waitForRelease(SLOT_POLL_MS, options.signal);
      continue;
    }
    const startedAt = Date.now();
    let deliveries: JetStreamDelivery[];
    try {
      deliveries = await pull(nc, { ...target, batch: free, expiresMs: TASK_FETCH_EXPIRES_MS });
    } catch (error) {
      options.onError?.(error);
      await sleep(backoff.next(), options.signal);
      continue;
    }
    backoff.reset();
    for (const delivery of deliveries) dispatch(delivery, slots, limit, options);
    // A "requests pending" 408 comes back at once; do not spin on it.
    if (deliveries.length === 0 && Date.now() - startedAt < TASK_FETCH_EXPIRES_MS / 2) {
      await sleep(SLOT_POLL_MS, options.signal);
    }
  }
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

/** Counts un-settled deliveries and wakes the loop when one settles. */
class SlotCounter {
  used = 0;
  private waiters: (() => void)[] = [];

  acquire(): void {
    this.used++;
  }

  release(): void {
    this.used--;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves when a slot is released, after `pollMs`, or on abort, whichever comes first. */
  waitForRelease(pollMs: number, signal: AbortSignal): Promise<void> {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.waiters.push(onAbort);
    return sleep(pollMs, controller.signal).finally(() => {
      signal.removeEventListener('abort', onAbort);
      this.waiters = this.waiters.filter((wake) => wake !== onAbort);
    });
  }
}
