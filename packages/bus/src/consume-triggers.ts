import type { NatsConnection } from '@nats-io/transport-node';
import { FAILED_BATCH_NAK_DELAY_MS } from './consume-events.js';
import type { JetStreamDelivery } from './jetstream-delivery.js';
import { pullBatches } from './pull-batches.js';
import type { ConsumeTriggerEventsOptions, TriggerMessage } from './types.js';

/** Default most trigger messages per batch. */
export const DEFAULT_TRIGGER_BATCH_SIZE = 256;
/** Default wait for the first trigger message of a batch, in ms. */
export const DEFAULT_TRIGGER_MAX_WAIT_MS = 500;

/**
 * The coordinator's pull loop on the triggers stream: fetch a batch, hand its messages over, ack them
 * once `handle` resolved (the runs they start are committed by then), nak them with a delay when it
 * threw, so that no message is lost to a failed transaction.
 */
export async function consumeTriggerEvents(
  nc: NatsConnection,
  target: { stream: string; consumer: string },
  options: ConsumeTriggerEventsOptions,
): Promise<void> {
  await pullBatches(nc, target, {
    signal: options.signal,
    batchSize: options.batchSize ?? DEFAULT_TRIGGER_BATCH_SIZE,
    maxWaitMs: options.maxWaitMs ?? DEFAULT_TRIGGER_MAX_WAIT_MS,
    onError: (error) => options.onError?.(error),
    handle: async (deliveries) => {
      try {
        await options.handle(deliveries.map(triggerMessage));
      } catch (error) {
        for (const delivery of deliveries) delivery.nak(FAILED_BATCH_NAK_DELAY_MS);
        options.onError?.(error);
        return;
      }
      for (const delivery of deliveries) delivery.ack();
    },
  });
}

/** What the handler sees of one delivery. */
export function triggerMessage(delivery: JetStreamDelivery): TriggerMessage {
  const { msg, info } = delivery;
  // fromEntries defines own fields, so a header named `__proto__` is just a header.
  const headers: Record<string, string> = Object.fromEntries(
    (msg.headers?.keys() ?? []).map((key) => [key, msg.headers?.get(key) ?? '']),
  );
  return {
    subject: msg.subject,
    data: msg.data,
    headers,
    streamSequence: info.streamSequence,
    publishedAt: info.publishedAt,
    redelivered: delivery.redelivered,
  };
}
