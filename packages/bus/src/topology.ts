import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { Code, TributaryError } from '@tributary/core';
import { COORDINATOR_CONSUMER, type TopologyNames } from './subjects.js';

/** How long JetStream remembers msgIds: re-publishing within this window is a no-op. */
export const DUPLICATE_WINDOW_MS = 120_000;
/**
 * AckWait of the coordinator's events consumer: events a coordinator took and did not ack before it died
 * go to its successor after this long. Its lost-task sweep waits this long (plus a heartbeat timeout)
 * after start, so that a result still in flight is never mistaken for a lost task.
 */
export const EVENTS_ACK_WAIT_MS = 10_000;
/** Most events delivered to the coordinator and not yet acked. */
export const EVENTS_MAX_ACK_PENDING = 20_000;
/** Most tasks of one pool delivered to workers and not yet acked. */
export const POOL_MAX_ACK_PENDING = 20_000;

/** How long task log lines are kept by default: 7 days. */
export const DEFAULT_LOG_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** How many bytes of task log lines are kept by default: 1 GiB. */
export const DEFAULT_LOG_MAX_BYTES = 1024 * 1024 * 1024;

/**
 * The logs stream: limits retention (read by many, consumed by none), oldest messages discarded once
 * it holds `maxBytes` or they are older than `maxAgeMs`. Re-applying other limits updates them.
 */
export async function ensureLogStream(
  jsm: JetStreamManager,
  names: TopologyNames,
  limits: { maxAgeMs: number; maxBytes: number },
): Promise<void> {
  await ensureStream(jsm, {
    name: names.logsStream,
    subjects: [names.logsSubjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(limits.maxAgeMs),
    max_bytes: limits.maxBytes,
    // Log batches carry no msgId; the server refuses a duplicate window longer than max_age.
    duplicate_window: nanos(Math.min(DUPLICATE_WINDOW_MS, limits.maxAgeMs)),
  });
}

/** The two streams and the coordinator's consumer. Idempotent. */
export async function ensureStreams(jsm: JetStreamManager, names: TopologyNames): Promise<void> {
  await ensureStream(jsm, {
    name: names.tasksStream,
    subjects: [names.tasksSubjects],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  });
  await ensureStream(jsm, {
    name: names.eventsStream,
    subjects: [names.eventsSubjects],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  });
  await ensureConsumer(jsm, names.eventsStream, {
    durable_name: COORDINATOR_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(EVENTS_ACK_WAIT_MS),
    max_ack_pending: EVENTS_MAX_ACK_PENDING,
    // Redelivery is how a failed batch is retried: never give up on an event.
    max_deliver: -1,
  });
}

/**
 * The durable pull consumer of one pool. On a WorkQueue stream, 2.9 allows one consumer per subject and
 * no `filter_subjects`, hence one consumer per pool subject.
 */
export async function ensurePoolConsumer(
  jsm: JetStreamManager,
  names: TopologyNames,
  pool: string,
  subject: string,
  ackWaitMs: number,
): Promise<void> {
  await ensureConsumer(jsm, names.tasksStream, {
    durable_name: names.poolConsumer(pool),
    filter_subject: subject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(ackWaitMs),
    max_ack_pending: POOL_MAX_ACK_PENDING,
    // The coordinator decides about retries (attempts); JetStream only redelivers what a worker lost.
    max_deliver: -1,
  });
}

/**
 * Adds the stream; when one with another config exists (an older version of ours, or a racing process
 * with the same config won), updates it to this config.
 */
async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }) {
  try {
    await jsm.streams.add(config);
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw unavailable(`stream ${config.name}`, error);
    try {
      await jsm.streams.update(config.name, config);
    } catch (updateError) {
      throw unavailable(`stream ${config.name}`, updateError);
    }
  }
}

/**
 * Adds the durable consumer; when one of that name exists, updates the fields an existing consumer may
 * change. Idempotent.
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
) {
  try {
    await jsm.consumers.add(stream, config);
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw unavailable(`consumer ${config.durable_name}`, error);
    try {
      await jsm.consumers.update(stream, config.durable_name, updatable(config));
    } catch (updateError) {
      throw unavailable(`consumer ${config.durable_name}`, updateError);
    }
  }
}

// The fields 2.9 lets an existing consumer change.
function updatable(config: Partial<ConsumerConfig>): Partial<ConsumerConfig> {
  const { ack_wait, max_ack_pending, max_deliver } = config;
  return { ack_wait, max_ack_pending, max_deliver };
}

function unavailable(what: string, error: unknown): TributaryError {
  return new TributaryError(Code.Unavailable, `cannot create ${what}: ${String(error)}`, { cause: error });
}
