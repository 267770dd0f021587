import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { Code, TributaryError } from '@tributary/core';
import { createBackoff, sleep } from './backoff.js';

/** One worker event, encoded, waiting for its batch. */
interface Queued {
  bytes: Uint8Array;
  signal: AbortSignal | undefined;
  traceparent: string | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

/** How a batch is sent: `msgId` is the same on every retry of one batch. */
export type SendBatch = (batch: Uint8Array, msgId: string, traceparent: string | undefined) => Promise<void>;

// The `events` field of WorkerEventBatch (bus.proto): a repeated message field is the concatenation of
// its elements, each tagged and length-prefixed, so a batch is built from the events' own bytes.
const EVENTS_FIELD = 1;
// A field's tag and length prefix take at most this many bytes for any event that fits in a message.
const FRAMING_BYTES = 6;

/**
 * Publishes a worker's events in batches: the events reported in one turn of the event loop go out
 * together as one `WorkerEventBatch` message, split where a batch would exceed `maxBytes`. Each
 * batch is retried with backoff until JetStream acks it, under one message id, so a retry after a lost
 * ack lands once; every event's promise settles with its batch. Under load this turns a publish, an
 * ack and a coordinator delivery per event into one per batch; alone, an event waits for no timer.
 */
export class WorkerEventBatcher {
  readonly #send: SendBatch;
  readonly #maxBytes: () => number;
  readonly #idPrefix: string;
  #queue: Queued[] = [];
  #scheduled = false;
  #sequence = 0;

  /** @param idPrefix - unique to this publisher (batch ids are `<idPrefix>.<n>`) */
  constructor(send: SendBatch, maxBytes: () => number, idPrefix: string) {
    this.#send = send;
    this.#maxBytes = maxBytes;
    this.#idPrefix = idPrefix;
  }

  /**
   * Queues an encoded event for this turn's batch; resolves once JetStream stored its batch.
   * @throws TributaryError `Cancelled` when every event of its batch had its `signal` aborted before
   * an ack (an event without a signal keeps its batch trying).
   */
  publish(bytes: Uint8Array, options: { signal?: AbortSignal; traceparent?: string } = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ bytes, signal: options.signal, traceparent: options.traceparent, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      // After the I/O of this turn: every result that completed in it joins the batch.
      setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const queued = this.#queue;
    this.#queue = [];
    for (const batch of this.#split(queued)) void this.#publishBatch(batch);
  }

  /** Consecutive runs of events whose batch stays within the size limit. */
  #split(queued: readonly Queued[]): Queued[][] {
    const maxBytes = this.#maxBytes();
    const batches: Queued[][] = [];
    let current: Queued[] = [];
    let size = 0;
    for (const event of queued) {
      const bytes = event.bytes.byteLength + FRAMING_BYTES;
      if (current.length > 0 && size + bytes > maxBytes) {
        batches.push(current);
        current = [];
        size = 0;
      }
      current.push(event);
      size += bytes;
    }
    if (current.length > 0) batches.push(current);
    return batches;
  }

  async #publishBatch(batch: readonly Queued[]): Promise<void> {
    const writer = new BinaryWriter();
    for (const event of batch) writer.tag(EVENTS_FIELD, WireType.LengthDelimited).bytes(event.bytes);
    const bytes = writer.finish();
    const msgId = `${this.#idPrefix}.${++this.#sequence}`;
    const traceparent = batch[0]?.traceparent;
    const backoff = createBackoff(200, 5_000);
    let lastError: unknown;
    while (!batch.every((event) => event.signal?.aborted === true)) {
      try {
        await this.#send(bytes, msgId, traceparent);
        for (const event of batch) event.resolve();
        return;
      } catch (error) {
        lastError = error;
        await sleep(backoff.next(), anyOpenSignal(batch));
      }
    }
    const error = new TributaryError(Code.Cancelled, `gave up publishing worker events (batch ${msgId})`, {
      cause: lastError,
    });
    for (const event of batch) event.reject(error);
  }
}

/** A signal that aborts when every event's has; undefined when one has none (it never gives up). */
function anyOpenSignal(batch: readonly Queued[]): AbortSignal | undefined {
  const signals = batch.map((event) => event.signal);
  if (signals.some((signal) => signal === undefined)) return undefined;
  const open = signals.filter((signal): signal is AbortSignal => signal !== undefined && !signal.aborted);
  // Waking on the first abort is enough: the loop checks them all again.
  return open.length === 0 ? AbortSignal.abort() : AbortSignal.any(open);
}
