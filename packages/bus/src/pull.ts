import { createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { Code, TributaryError } from '@tributary/core';
import { JetStreamDelivery } from './jetstream-delivery.js';

/** One pull request on a durable pull consumer. */
export interface PullRequest {
  stream: string;
  consumer: string;
  /** Most messages to return. */
  batch: number;
  /**
   * How long the request stays open: with `noWait`, how long the server waits for the first message;
   * without, for the whole batch.
   */
  expiresMs: number;
  /**
   * Return as soon as messages were delivered, without waiting for the batch to fill (JetStream 2.9+
   * reads `no_wait` with `expires` so). @default true
   */
  noWait?: boolean;
  /**
   * Hands each delivery over as it arrives instead of collecting them: a long-lived request then feeds
   * its consumer message by message. The promise resolves with nothing when the request ends.
   */
  onDelivery?: (delivery: JetStreamDelivery) => void;
}

// The client gives the server this long past `expires` to send its 408 before giving up on it; messages
// sent after that are redelivered after the ack wait.
const CLIENT_GRACE_MS = 2_000;

/**
 * Sends one pull request and collects what it delivers (or hands each delivery to `onDelivery`).
 *
 * nats.js's `fetch()` waits for a full batch or its expiry (at least 1s). By default the request sets
 * `no_wait` together with `expires`, which JetStream (2.9+) reads as: wait up to `expires` for the first
 * message, then return at once with everything available, up to `batch`. So a batch of 1000 events
 * costs no more latency than a single one.
 *
 * @throws TributaryError `Unavailable` for server statuses other than "no messages" / "timeout"
 * (no responders: JetStream or the consumer is gone; 409: consumer deleted, limits exceeded).
 */
export function pull(nc: NatsConnection, request: PullRequest): Promise<JetStreamDelivery[]> {
  return new Promise((resolve, reject) => {
    const inbox = createInbox();
    const deliveries: JetStreamDelivery[] = [];
    let delivered = 0;
    let settled = false;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sub.unsubscribe();
      if (error === undefined) resolve(deliveries);
      else reject(error);
    };
    const onMessage = (error: Error | null, msg: Msg) => {
      if (error !== null) {
        finish(TributaryError.from(error, Code.Unavailable));
        return;
      }
      // JetStream delivers a stream message under its own subject; only statuses come on the inbox itself.
      if (msg.subject === inbox) {
        const status = statusOf(msg);
        if (status !== 'ignore') finish(status === 'done' ? undefined : status);
        return;
      }
      const delivery = new JetStreamDelivery(msg);
      delivered++;
      if (request.onDelivery === undefined) deliveries.push(delivery);
      else request.onDelivery(delivery);
      if (delivered >= request.batch) finish();
    };
    let sub: ReturnType<NatsConnection['subscribe']>;
    try {
      sub = nc.subscribe(inbox, { callback: onMessage });
    } catch (error) {
      reject(TributaryError.from(error, Code.Unavailable));
      return;
    }
    // No status by then: the request never reached a consumer (it does not exist, or JetStream is down),
    // which JetStream answers with silence rather than an error.
    const timer = setTimeout(() => {
      if (delivered > 0) finish();
      else finish(new TributaryError(Code.Unavailable, `no answer to pull request on ${request.consumer}`));
    }, request.expiresMs + CLIENT_GRACE_MS);
    // The subscription closes when the connection does: return what arrived.
    void sub.closed.then(
      () => finish(),
      (error: unknown) => finish(TributaryError.from(error, Code.Unavailable)),
    );
    const body = JSON.stringify({
      batch: request.batch,
      expires: Math.max(1, Math.round(request.expiresMs)) * 1_000_000,
      no_wait: request.noWait ?? true,
    });
    try {
      nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${request.stream}.${request.consumer}`, body, { reply: inbox });
    } catch (error) {
      finish(TributaryError.from(error, Code.Unavailable));
    }
  });
}

/**
 * `done` when the status ends the request normally (404 no messages, 408 timeout or requests pending),
 * `ignore` when it is informational (100 heartbeat), otherwise the error it stands for.
 */
function statusOf(msg: Msg): 'done' | 'ignore' | TributaryError {
  const code = msg.headers?.code ?? 0;
  if (code === 404 || code === 408) return 'done';
  if (code === 0 || code === 100) return 'ignore';
  const description = msg.headers?.description ?? '';
  const what = code === 503 ? 'no responders (JetStream or the consumer is unavailable)' : description;
  return new TributaryError(Code.Unavailable, `pull request failed: ${code} ${what}`);
}
