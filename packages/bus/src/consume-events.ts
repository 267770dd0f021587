import type { NatsConnection } from '@nats-io/transport-node';
import { Code, TributaryError } from '@tributary/core';
import { decodeWorkerEventBatch } from './codec.js';
import type { JetStreamDelivery } from './jetstream-delivery.js';
import { pullBatches } from './pull-batches.js';
import type { ConsumeWorkerEventsOptions, ReceivedWorkerEvent } from './types.js';

/** Default most events per batch. */
export const DEFAULT_EVENT_BATCH_SIZE = 1000;
/** Default wait for the first event of a batch, in ms. */
export const DEFAULT_EVENT_MAX_WAIT_MS = 50;
/** How long a batch whose handler failed waits before it is delivered again. */
export const FAILED_BATCH_NAK_DELAY_MS = 1_000;

/**
 * The coordinator's pull loop on the events stream: fetch, decode, handle, then ack. Acking only after
 * `handle` resolves means an event whose effects were not committed is delivered again.
 */
export async function consumeWorkerEvents(
  nc: NatsConnection,
  target: { stream: string; consumer: string },
  options: ConsumeWorkerEventsOptions,
): Promise<void> {
  const batchSize = options.batchSize ?? DEFAULT_EVENT_BATCH_SIZE;
  await pullBatches(nc, target, {
    signal: options.signal,
    batchSize,
    maxWaitMs: options.maxWaitMs ?? DEFAULT_EVENT_MAX_WAIT_MS,
    onError: (error) => options.onError?.(error),
    onEmpty: (fetchedAt) => options.onCaughtUp?.(fetchedAt),
    handle: async (deliveries, fetchedAt) => {
      const handled = await handleBatch(deliveries, options);
      // Less than a full batch: the stream held nothing more for us when the fetch was sent.
      if (handled && deliveries.length < batchSize) options.onCaughtUp?.(fetchedAt);
    },
  });
}

/** Handles and acks a batch; false when it failed and was nak'd. */
async function handleBatch(
  deliveries: JetStreamDelivery[],
  options: ConsumeWorkerEventsOptions,
): Promise<boolean> {
  const batch: ReceivedWorkerEvent[] = [];
  const decoded: JetStreamDelivery[] = [];
  for (const delivery of deliveries) {
    try {
      const { events, invalid } = decodeWorkerEventBatch(delivery.msg.data);
      if (invalid > 0) {
        options.onError?.(
          new TributaryError(
            Code.DataLoss,
            `${invalid} worker event(s) without ref or kind left out of a batch`,
          ),
        );
      }
      for (const event of events) batch.push({ event, redelivered: delivery.redelivered });
      decoded.push(delivery);
    } catch (error) {
      // It will never decode: redelivering it would only block the stream.
      delivery.term();
      options.onError?.(error);
    }
  }
  if (batch.length === 0) {
    // Nothing in them to apply.
    for (const delivery of decoded) delivery.ack();
    return true;
  }
  try {
    await options.handle(batch);
  } catch (error) {
    for (const delivery of decoded) delivery.nak(FAILED_BATCH_NAK_DELAY_MS);
    options.onError?.(error);
    return false;
  }
  for (const delivery of decoded) delivery.ack();
  return true;
}
