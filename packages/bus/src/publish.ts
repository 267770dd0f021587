import { headers as createHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { Code, TributaryError } from '@tributary/core';
import { isValidTraceparent, newTraceparent } from '@tributary/telemetry';
import { TRACEPARENT_HEADER } from './codec.js';
import type { JetStreamPublisher } from './jetstream-publisher.js';
import type { BusSubjects, OutgoingTask } from './types.js';

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
  publisher: JetStreamPublisher,
  subjects: BusSubjects,
  tasks: readonly OutgoingTask[],
): Promise<void> {
  // Subjects first: a bad pool name fails the whole call before anything is sent.
  const prepared = tasks.map((task) => ({ task, subject: subjects.task(task.pool) }));
  const results = await Promise.allSettled(
    prepared.map(({ task, subject }) =>
      publisher.publish(subject, task.payload, {
        msgId: task.msgId,
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
