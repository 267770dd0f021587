import {
  type Consumer,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
} from '@nats-io/jetstream';
import { Code, TributaryError } from '@tributary/core';
import type { TaskLogBatch } from '@tributary/proto';
import { decodeTaskLogBatch } from './codec.js';
import type { ReadTaskLogsOptions } from './types.js';

/** Default of `idleCheckMs`: the shortest wait a JetStream fetch allows. */
export const DEFAULT_LOG_IDLE_CHECK_MS = 1_000;
// Most batches one fetch asks for: a long log is read in a few round trips, not one per batch.
const FETCH_BATCHES = 256;
// The server deletes a reader's consumer left behind (a crashed process) after this long.
const CONSUMER_INACTIVE_MS = 30_000;

/**
 * Reads one attempt's log batches through an ordered consumer filtered on its subject. Undecodable
 * batches are skipped (they cannot be shown) rather than ending the read.
 */
export async function* readTaskLogs(
  js: JetStreamClient,
  stream: string,
  subject: string,
  options: ReadTaskLogsOptions,
): AsyncGenerator<TaskLogBatch> {
  const idleCheckMs = Math.max(DEFAULT_LOG_IDLE_CHECK_MS, options.idleCheckMs ?? DEFAULT_LOG_IDLE_CHECK_MS);
  const consumer = await openConsumer(js, stream, subject);
  try {
    // How many batches are stored and not yet read: without follow, the read ends once none are.
    let pending = (await consumer.info(true)).num_pending;
    while (!options.signal?.aborted) {
      if (pending === 0) {
        if (!options.follow) return;
        // Caught up: an attempt that ended without a marker (its worker died) has nothing more to send.
        // Its last batches may have been stored since the count: look again before ending.
        if (options.attemptEnded !== undefined && (await options.attemptEnded())) {
          pending = (await consumer.info()).num_pending;
          if (pending === 0) return;
        }
      }
      const messages = await consumer.fetch({
        // The stored batches when there are any (the fetch returns as soon as it has them), else a wait.
        max_messages: pending > 0 ? Math.min(pending, FETCH_BATCHES) : FETCH_BATCHES,
        expires: idleCheckMs,
      });
      const stop = () => messages.stop();
      options.signal?.addEventListener('abort', stop, { once: true });
      try {
        for await (const message of messages) {
          pending = message.info.pending;
          const batch = decodeOrSkip(message.data);
          if (batch === undefined) continue;
          yield batch;
          if (batch.end) return;
        }
      } finally {
        options.signal?.removeEventListener('abort', stop);
      }
    }
  } finally {
    // Ordered consumers are ephemeral: deleting ours now spares the server its inactivity wait.
    consumer.delete().catch(() => {});
  }
}

async function openConsumer(js: JetStreamClient, stream: string, subject: string): Promise<Consumer> {
  try {
    return await js.consumers.get(stream, {
      filter_subjects: subject,
      inactive_threshold: CONSUMER_INACTIVE_MS,
    });
  } catch (error) {
    const missing = error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
    throw new TributaryError(
      Code.Unavailable,
      missing
        ? `the task logs stream ${stream} does not exist: a coordinator creates it when it starts`
        : `cannot read task logs from stream ${stream}: ${String(error)}`,
      { cause: error },
    );
  }
}

function decodeOrSkip(data: Uint8Array): TaskLogBatch | undefined {
  try {
    return decodeTaskLogBatch(data);
  } catch {
    return undefined;
  }
}
