import type { JetStreamClient } from '@nats-io/jetstream';
import { headers as createHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { Code, TributaryError } from '@tributary/core';
import { isValidTraceparent, newTraceparent } from '@tributary/telemetry';
import { createBackoff, sleep } from './backoff.js';
import { createWorkerEvent, encodeWorkerEvent, TRACEPARENT_HEADER } from './codec.js';
import { workerEventMsgId } from './subjects.js';
import type { BusSubjects, OutgoingTask, PublishWorkerEventOptions, WorkerEventInit } from './types.js';

/** Headers carrying `traceparent`, or a fresh one when it is absent or malformed. */
export function traceHeaders(traceparent: string | undefined): MsgHdrs {
  const headers = createHeaders();
  headers.set(TRACEPARENT_HEADER, isValidTraceparent(traceparent) ? traceparent : newTraceparent());
  return headers;
}

/**
 * Publishes every task at once (the client pipelines them) and waits for all PubAcks.
 * @throws TributaryError `Unavailable` naming how many failed, with the first failure as cause.
 */
export async function publishTasks(
  js: JetStreamClient,
  subjects: BusSubjects,
  tasks: readonly OutgoingTask[],
): Promise<void> {
  // Subjects first: a bad pool name fails the whole call before anything is sent.
  const prepared = tasks.map((task) => ({ task, subject: subjects.task(task.pool) }));
  const results = await Promise.allSettled(
    prepared.map(({ task, subject }) =>
      js.publish(subject, task.payload, {
        msgID: task.msgId,
        headers: traceHeaders(task.traceparent),
      }),
    ),
  );
  const failures = results.filter((result) => result.status === 'rejected');
  const first = failures[0];
  if (first !== undefined) {
    throw new TributaryError(
      Code.Unavailable,
      `${failures.length} of ${tasks.length} task publishes failed: ${String(first.reason)}`,
      { cause: first.reason },
    );
  }
}

/**
 * Publishes a worker event, retrying with backoff until JetStream acknowledges it. The msgId makes
 * retries (and a second worker reporting the same attempt) land once.
 * @throws TributaryError `Cancelled` when `signal` aborts before an ack; `InvalidArgument` for a bad event.
 */
export async function publishWorkerEvent(
  js: JetStreamClient,
  subjects: BusSubjects,
  init: WorkerEventInit,
  options: PublishWorkerEventOptions = {},
): Promise<void> {
  const event = createWorkerEvent(init);
  const kind = event.event.case === 'started' ? 'started' : 'finished';
  const subject = kind === 'started' ? subjects.eventStarted : subjects.eventFinished;
  const bytes = encodeWorkerEvent(event);
  const msgID = workerEventMsgId(event.ref, kind);
  const headers = traceHeaders(options.traceparent);
  const backoff = createBackoff(200, 5_000);
  let lastError: unknown;
  while (!options.signal?.aborted) {
    try {
      await js.publish(subject, bytes, { msgID, headers });
      return;
    } catch (error) {
      lastError = error;
      await sleep(backoff.next(), options.signal);
    }
  }
  throw new TributaryError(Code.Cancelled, `gave up publishing ${kind} event ${msgID}`, { cause: lastError });
}
