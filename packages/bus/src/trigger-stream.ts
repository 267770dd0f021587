import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { Code, TributaryError } from '@tributary/core';
import { COORDINATOR_CONSUMER, type TopologyNames } from './subjects.js';
import { DUPLICATE_WINDOW_MS, ensureConsumer } from './topology.js';
import { minimalSubjects, triggerSubjectProblem } from './trigger-subjects.js';

/** How long a trigger message nobody consumed stays in the stream: 7 days. */
export const TRIGGERS_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * AckWait of the coordinator's trigger consumer: messages a coordinator took and did not ack before it
 * died go to its successor after this long. A batch waits for one run loop tick, far less than this.
 */
export const TRIGGERS_ACK_WAIT_MS = 30_000;
/** Most trigger messages delivered to the coordinator and not yet acked. */
export const TRIGGERS_MAX_ACK_PENDING = 10_000;

// The server's codes for "that name is taken by a stream with another config" and "these subjects are
// another stream's": the first means update, the second that a user's own stream holds the subject.
const STREAM_NAME_IN_USE = 10058;
const SUBJECTS_OF_ANOTHER_STREAM = 10065;

/**
 * Makes `<PREFIX>_TRIGGERS` (WorkQueue retention, file storage, 7 days max age) capture `subjects`,
 * reduced to subjects no two of which overlap (see {@link minimalSubjects}), with the coordinator's
 * durable pull consumer; deletes the stream when `subjects` is empty. Idempotent.
 * @throws TributaryError `InvalidArgument` naming a subject that is invalid or overlaps `<prefix>.>`;
 * `FailedPrecondition` naming the subject and the other stream(s) holding it when another stream takes
 * an overlapping subject; `Unavailable` when NATS cannot be reached.
 */
export async function ensureTriggerStream(
  jsm: JetStreamManager,
  names: TopologyNames,
  prefix: string,
  subjects: readonly string[],
): Promise<void> {
  for (const subject of subjects) {
    const problem = triggerSubjectProblem(prefix, subject);
    if (problem !== undefined)
      throw new TributaryError(Code.InvalidArgument, `event trigger subject ${problem}`);
  }
  const wanted = minimalSubjects(subjects);
  if (wanted.length === 0) {
    await deleteTriggerStream(jsm, names.triggersStream);
    return;
  }
  await putStream(jsm, {
    name: names.triggersStream,
    subjects: wanted,
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    max_age: nanos(TRIGGERS_MAX_AGE_MS),
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  });
  await ensureConsumer(jsm, names.triggersStream, {
    durable_name: COORDINATOR_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(TRIGGERS_ACK_WAIT_MS),
    max_ack_pending: TRIGGERS_MAX_ACK_PENDING,
    // A failed batch is retried by redelivery: never give up on a message that could start a run.
    max_deliver: -1,
  });
}

/** Adds the stream, or updates the one of that name to this config. */
async function putStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string; subjects: string[] },
): Promise<void> {
  // A second round when the stream vanished between the failed add and the update (a racing delete).
  for (let round = 0; ; round++) {
    try {
      try {
        await jsm.streams.add(config);
        return;
      } catch (error) {
        if (!(error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE)) throw error;
      }
      await jsm.streams.update(config.name, config);
      return;
    } catch (error) {
      const vanished = error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
      if (vanished && round === 0) continue;
      throw await describeFailure(jsm, config, error);
    }
  }
}

async function describeFailure(
  jsm: JetStreamManager,
  config: { name: string; subjects: string[] },
  error: unknown,
): Promise<TributaryError> {
  if (!(error instanceof JetStreamApiError)) {
    return new TributaryError(Code.Unavailable, `cannot create stream ${config.name}: ${String(error)}`, {
      cause: error,
    });
  }
  if (error.code !== SUBJECTS_OF_ANOTHER_STREAM) {
    return new TributaryError(
      Code.FailedPrecondition,
      `NATS refused stream ${config.name} with subjects ${config.subjects.join(', ')}: ${error.message}`,
      { cause: error },
    );
  }
  const holders = await streamsHolding(jsm, config.name, config.subjects);
  const which =
    holders.length === 0
      ? `another stream takes one of ${config.subjects.join(', ')}`
      : holders
          .map(({ subject, streams }) => `'${subject}' overlaps the subjects of stream ${streams.join(', ')}`)
          .join('; ');
  return new TributaryError(
    Code.FailedPrecondition,
    `cannot capture event trigger subjects in stream ${config.name}: ${which} (NATS lets only one stream take a subject)`,
    { cause: error },
  );
}

/** For each subject, the streams other than `own` whose subjects overlap it (the server's own filter). */
async function streamsHolding(
  jsm: JetStreamManager,
  own: string,
  subjects: readonly string[],
): Promise<{ subject: string; streams: string[] }[]> {
  const holders: { subject: string; streams: string[] }[] = [];
  try {
    for (const subject of subjects) {
      const streams: string[] = [];
      for await (const name of jsm.streams.names(subject)) if (name !== own) streams.push(name);
      if (streams.length > 0) holders.push({ subject, streams });
    }
  } catch {
    // Only for a better message: without it the error still says that another stream holds a subject.
  }
  return holders;
}

async function deleteTriggerStream(jsm: JetStreamManager, name: string): Promise<void> {
  try {
    await jsm.streams.delete(name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return;
    throw new TributaryError(Code.Unavailable, `cannot delete stream ${name}: ${String(error)}`, {
      cause: error,
    });
  }
}
