import type { NatsConnection } from '@nats-io/transport-node';
import { createBackoff, sleep } from './backoff.js';
import type { JetStreamDelivery } from './jetstream-delivery.js';
import { pull } from './pull.js';

/** Options of {@link pullBatches}. */
export interface PullBatchesOptions {
  /** Stops the loop (after the in-flight batch). */
  signal: AbortSignal;
  /** Most messages per batch. */
  batchSize: number;
  /** How long one fetch waits for the first message; it returns as soon as any are available. */
  maxWaitMs: number;
  /**
   * Settles every delivery of a non-empty batch (ack, nak or term); `fetchedAt` is when its fetch was
   * sent. The next fetch waits for it.
   */
  handle(deliveries: JetStreamDelivery[], fetchedAt: number): Promise<void>;
  /** Told that a fetch sent at `fetchedAt` found nothing. */
  onEmpty?(fetchedAt: number): void;
  /** Told about failed fetches (the loop backs off and goes on). */
  onError?(error: unknown): void;
}

/**
 * The coordinator's pull loop on a durable consumer: fetch a batch, hand it over, wait until it is
 * settled, fetch again. Failed fetches (NATS away, consumer missing) back off instead of spinning.
 */
export async function pullBatches(
  nc: NatsConnection,
  target: { stream: string; consumer: string },
  options: PullBatchesOptions,
): Promise<void> {
  const { signal, batchSize, maxWaitMs } = options;
  const backoff = createBackoff();
  while (!signal.aborted) {
    const fetchedAt = Date.now();
    let deliveries: JetStreamDelivery[];
    try {
      // No signal passed: an abort lets this short pull finish so that nothing it delivers is stranded.
      deliveries = await pull(nc, { ...target, batch: batchSize, expiresMs: maxWaitMs });
    } catch (error) {
      options.onError?.(error);
      await sleep(backoff.next(), signal);
      continue;
    }
    backoff.reset();
    if (deliveries.length === 0) {
      options.onEmpty?.(fetchedAt);
      // A "requests pending" 408 comes back at once; do not spin on it.
      if (Date.now() - fetchedAt < maxWaitMs / 2) await sleep(maxWaitMs, signal);
      continue;
    }
    await options.handle(deliveries, fetchedAt);
  }
}
