import type { MessageInitShape } from '@bufbuild/protobuf';
import type { JsonObject, JsonValue } from '@tributary/core';
import type {
  CancelNotice,
  CancelNoticeSchema,
  Heartbeat,
  HeartbeatSchema,
  TaskLogBatch,
  TaskLogBatchSchema,
  TaskMessage,
  WorkerEvent,
  WorkerEventSchema,
} from '@tributary/proto';
import type { NatsAuth } from './nats-auth.js';
import type { OutputRef } from './outputs.js';

/**
 * A task attempt to execute, as the coordinator sends it and a worker receives it: the
 * {@link TaskMessage} with its JSON documents decoded.
 */
export interface TaskOrder {
  runId: string;
  taskId: string;
  attempt: number;
  dag: string;
  dagVersion: number;
  bundleHash: string;
  /** The compiled task spec (a `TaskModel` of the spec package); the executor validates what it uses. */
  task: JsonObject;
  params: JsonObject;
  /** Outputs of upstream tasks by task id (an output stored in the object store is an `OutputRef`). */
  inputs: Record<string, JsonValue>;
  /** The run's logical date, epoch ms: the start of the data interval it covers. */
  logicalDate: number;
  /** The end of that data interval, epoch ms (the logical date for a run that covers no interval). */
  dataIntervalEnd: number;
}
/** What a {@link WorkerEvent} is built from. `ref` and the `event` oneof are required. */
export type WorkerEventInit = MessageInitShape<typeof WorkerEventSchema>;
/** What a {@link Heartbeat} is built from. */
export type HeartbeatInit = MessageInitShape<typeof HeartbeatSchema>;
/** What a {@link CancelNotice} is built from. */
export type CancelNoticeInit = MessageInitShape<typeof CancelNoticeSchema>;
/** What a {@link TaskLogBatch} is built from. */
export type TaskLogBatchInit = MessageInitShape<typeof TaskLogBatchSchema>;

/** One line a task attempt logged: the shape of the executors' `LogLine`. */
export interface TaskLogEntry {
  stream: 'stdout' | 'stderr' | 'log';
  line: string;
  /** Epoch ms. */
  at: number;
  /** For `log` lines: which `ctx.log` method wrote it. */
  level?: string;
}

/** The limits of the `<PREFIX>_LOGS` stream. */
export interface LogStreamLimits {
  /**
   * Task log lines older than this are deleted.
   * @default DEFAULT_LOG_RETENTION_MS (7 days)
   */
  retentionMs?: number;
  /**
   * Most bytes the stream keeps; the oldest batches go first beyond it.
   * @default DEFAULT_LOG_MAX_BYTES (1 GiB)
   */
  maxBytes?: number;
}

/** Options of {@link Bus.openTaskLog}. */
export interface TaskLogWriterOptions {
  /** How long a line waits for others to share its message. @default 100 */
  flushIntervalMs?: number;
  /**
   * A batch is sent at once when its lines reach this many bytes (and never grows past it, or past the
   * server's max_payload). @default 262144 (256 KiB)
   */
  maxBatchBytes?: number;
  /**
   * Most bytes of lines held while sends are slow; lines over it are dropped and counted in the next
   * batch's `dropped`. @default 8388608 (8 MiB)
   */
  maxBufferedBytes?: number;
  /** W3C traceparent to carry on every batch; a fresh one when absent. */
  traceparent?: string;
  /** Told about failed sends (their lines are counted as dropped); the writer itself never throws. */
  onError?(error: unknown): void;
}

/**
 * Ships one attempt's log lines to `<prefix>.log.<run>.<task>.<attempt>` in batches. Writing never
 * blocks nor throws: a log that cannot be shipped must not fail its task.
 */
export interface TaskLogWriter {
  /** Buffers a line; it goes out within the flush interval, or sooner when the batch is full. */
  write(entry: TaskLogEntry): void;
  /**
   * Sends the buffered lines and the end marker, then resolves true once every batch was acknowledged,
   * or false after `timeoutMs` or when a send failed (reported to `onError`). Lines written after this
   * are ignored.
   */
  end(timeoutMs: number): Promise<boolean>;
  /**
   * Like `end` without the end marker: the attempt goes on elsewhere (the worker handed it back), so
   * readers must keep following.
   */
  close(timeoutMs: number): Promise<boolean>;
}

/** Options of {@link Bus.readTaskLogs}. */
export interface ReadTaskLogsOptions {
  /** Keep waiting for new batches until the end marker (or `attemptEnded`); else stop at what is stored. */
  follow: boolean;
  /** Stops reading; the iteration then ends quietly. */
  signal?: AbortSignal;
  /**
   * With `follow`: asked whenever every stored batch has been read (at most once per `idleCheckMs` while
   * none come). True ends the reading once nothing more
   * is stored (the attempt ended without an end marker: its worker died).
   */
  attemptEnded?(): Promise<boolean>;
  /** How long one wait for new batches lasts before `attemptEnded` is asked again; at least 1000. @default 1000 */
  idleCheckMs?: number;
}

/** How to reach NATS and name things on it. */
export interface BusOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /**
   * Prefix of every subject, stream, consumer and bucket, so that several deployments (or tests) share
   * one server. Must match `/^[A-Za-z0-9_-]+$/`.
   * @default 'trib'
   */
  prefix?: string;
  /** Connection name shown by the server's monitoring. */
  name?: string;
  /**
   * Credentials (see `natsAuthFromEnv`). Without them, a `user:password@` or `token@` in a server URL is
   * used. @default none
   */
  auth?: NatsAuth;
  /**
   * AckWait of pool consumers: a delivery not acked (or `working()`-extended) by then is redelivered.
   * @default 30_000
   */
  taskAckWaitMs?: number;
  /**
   * Makes `ensureTopology` create (or update) the `<PREFIX>_LOGS` stream with these limits. The
   * coordinator sets them; a bus without them (a worker's) leaves that stream alone, so that it never
   * undoes the limits the coordinator was configured with.
   */
  logLimits?: LogStreamLimits;
  /** Called for connection status changes (disconnect/reconnect) so services can log them. */
  onStatus?: (status: string) => void;
}

/** The subjects the bus uses, all under the prefix. */
export interface BusSubjects {
  /** `<prefix>.task.<pool>`: tasks for one worker pool (JetStream). */
  task(pool: string): string;
  /** `<prefix>.event.batch`: worker events, in `WorkerEventBatch` messages (JetStream). */
  events: string;
  /** `<prefix>.heartbeat` (core NATS). */
  heartbeat: string;
  /** `<prefix>.cancel` (core NATS). */
  cancel: string;
  /**
   * `<prefix>.log.<run>.<task>.<attempt>`: one attempt's log batches (JetStream). Ids are escaped to
   * valid tokens (`load[3]` is `load~5b3~5d`), see `subjectToken`.
   */
  taskLog(ref: AttemptRef): string;
}

/** A task attempt for the coordinator to publish. */
export interface OutgoingTask {
  /** JetStream de-duplication id: re-publishing the same id within the duplicate window is a no-op. */
  msgId: string;
  pool: string;
  /** The encoded task message (`encodeTaskMessage`), as its outbox row holds it. */
  payload: Uint8Array;
  /** W3C traceparent to carry; a fresh one when absent. */
  traceparent?: string;
}

/** A worker event as the coordinator receives it. */
export interface ReceivedWorkerEvent {
  event: WorkerEvent;
  /** Whether JetStream delivered it before (the coordinator may have applied it already). */
  redelivered: boolean;
}

/** A task delivered to a worker; the handler settles it exactly once. */
export interface TaskDelivery {
  message: TaskOrder;
  traceparent?: string;
  redelivered: boolean;
  /** 1 on the first delivery. */
  deliveryCount: number;
  /** Extends the ack deadline (JetStream +WPI); call it periodically while running. */
  working(): void;
  /**
   * Acks without awaiting the server. Call it once the attempt's result is durable in the events
   * stream: an ack lost with the connection then costs a redelivery, whose second result the
   * coordinator ignores (it has the attempt's), as a failed double ack would have.
   */
  ack(): void;
  /** Asks for redelivery, after `delayMs` when given. */
  nak(delayMs?: number): void;
  /** Never redeliver: the message can never succeed. */
  term(): void;
}

/** Content-addressed DAG bundles in the NATS object store, keyed by hash. */
export interface BundleStore {
  /** Stores the bundle; a no-op when one with this hash is already present. */
  put(hash: string, bytes: Uint8Array): Promise<void>;
  /** The bundle's bytes, or null when there is none with this hash. */
  get(hash: string): Promise<Uint8Array | null>;
  has(hash: string): Promise<boolean>;
}

/** Which attempt produced an output. */
export interface AttemptRef {
  runId: string;
  taskId: string;
  attempt: number;
}

/**
 * Task outputs too large to travel inside a worker event, in the object store bucket
 * `<prefix>-outputs` (created on first use). Objects are never overwritten: each is named by its attempt
 * and content (see `outputRefName`).
 */
export interface OutputStore {
  /**
   * Stores an output's UTF-8 JSON text and returns the reference to report instead of it. Storing the
   * same bytes for the same attempt again is a no-op.
   * @throws when NATS cannot be reached (nothing is reported yet: try again).
   */
  put(attempt: AttemptRef, json: Uint8Array): Promise<OutputRef>;
  /**
   * The output a reference points to, parsed; null when its object is not in the bucket.
   * @throws TributaryError `DataLoss` when the object's size or SHA-256 differ from the reference's, or
   * it is not UTF-8 JSON; other errors when NATS cannot be reached.
   */
  get(ref: OutputRef): Promise<JsonValue | null>;
}

/** One run's context in the KV bucket: the shape of the executors' `RunContextStore`. */
export interface RunContextStoreOnBus {
  /** The key's value; undefined when it was never set. */
  get(key: string): Promise<JsonValue | undefined>;
  /** Sets or replaces the key's value. @throws when NATS refuses it (e.g. over its max_payload). */
  set(key: string, value: JsonValue): Promise<void>;
  /** Every key of the run, sorted. */
  keys(): Promise<string[]>;
}

/** A run's context as read for a run view. */
export interface RunContextView {
  /**
   * The keys and their values: at most the limit asked for (which keys, when there are more, is
   * unspecified).
   */
  values: JsonObject;
  /** Whether the run has more keys than were read. */
  truncated: boolean;
}

/**
 * Run contexts in the KV bucket `<prefix>-context` (created on first use, history 1), each key
 * stored as `<runId>.<key>`. Keys are expected to be valid already (the executors check them).
 */
export interface RunContextBucket {
  /**
   * The store a worker hands to one attempt of the run.
   * @throws TributaryError `InvalidArgument` when the run id is not `/^[A-Za-z0-9_-]+$/`.
   */
  forRun(runId: string): RunContextStoreOnBus;
  /**
   * The run's context, at most `limit` keys (default {@link RUN_CONTEXT_READ_LIMIT}, 1000); an empty
   * object when the run set none.
   */
  read(runId: string, limit?: number): Promise<RunContextView>;
}

/** Options of {@link Bus.consumeWorkerEvents}. */
export interface ConsumeWorkerEventsOptions {
  /** Stops the loop (after the in-flight batch). */
  signal: AbortSignal;
  /** Most events per batch. @default 1000 */
  batchSize?: number;
  /** How long one fetch waits for the first event; it returns as soon as any are available. @default 50 */
  maxWaitMs?: number;
  /** Applies a batch; its events are acked only after this resolves. Never called with an empty batch. */
  handle(batch: ReceivedWorkerEvent[]): Promise<void>;
  /** Told about failed fetches, failed batches and undecodable messages. */
  onError?(error: unknown): void;
  /**
   * Told that every event published before `asOf` (epoch ms, this process's clock: when the fetch was
   * sent) has been handled: a fetch came back with less than a full batch, and that batch was handled.
   * While a backlog builds up, this stops advancing.
   */
  onCaughtUp?(asOf: number): void;
}

/** One message on a DAG's `on` subject, as the triggers stream delivered it. */
export interface TriggerMessage {
  /** The subject it was published on. */
  subject: string;
  /** Its body as published. */
  data: Uint8Array;
  /** Its headers, each with its first value. */
  headers: Record<string, string>;
  /** Its sequence number in the triggers stream: the same on every redelivery. */
  streamSequence: number;
  /** When the stream stored it: epoch ms, the NATS server's clock. */
  publishedAt: number;
  /** Whether it was delivered before (and not acked then). */
  redelivered: boolean;
}

/** Options of {@link Bus.consumeTriggerEvents}. */
export interface ConsumeTriggerEventsOptions {
  /** Stops the loop (after the in-flight batch). */
  signal: AbortSignal;
  /** Most messages per batch. @default 256 */
  batchSize?: number;
  /** How long one fetch waits for the first message; it returns as soon as any are available. @default 500 */
  maxWaitMs?: number;
  /** Handles a batch; its messages are acked only after this resolves. Never called with an empty batch. */
  handle(batch: TriggerMessage[]): Promise<void>;
  /** Told about failed fetches and failed batches (nak'd, delivered again after a second). */
  onError?(error: unknown): void;
}

/** Options of {@link Bus.consumeTasks}. */
export interface ConsumeTasksOptions {
  pool: string;
  /**
   * Most deliveries of this loop un-settled at once (a delivery counts until its handler settles). A
   * function is read before every fetch and every dispatch, so a limit shared by several loops can shrink
   * while a fetch is out: a delivery that no longer fits is nak'd at once for another worker to take.
   */
  maxInFlight: number | (() => number);
  /** Stops fetching; running handlers are not awaited (the caller owns them). */
  signal: AbortSignal;
  /** Runs one task and settles its delivery. A rejection is reported to onError and the delivery nak'd. */
  handle(delivery: TaskDelivery): Promise<void>;
  onError?(error: unknown): void;
}

/** Options of {@link Bus.publishWorkerEvent}. */
export interface PublishWorkerEventOptions {
  /** Gives up retrying when aborted. */
  signal?: AbortSignal;
  /** W3C traceparent to carry; a fresh one when absent. */
  traceparent?: string;
}

/** The NATS side of Tributary, for the coordinator and the workers alike. */
export interface Bus extends AsyncDisposable {
  readonly prefix: string;
  readonly subjects: BusSubjects;
  /**
   * Creates (or updates) streams `<PREFIX>_TASKS` (WorkQueue retention, file storage, subjects
   * `<prefix>.task.>`, duplicate window 2 min) and `<PREFIX>_EVENTS` (WorkQueue, file, `<prefix>.event.>`),
   * the coordinator's durable pull consumer `coordinator` on EVENTS (explicit ack, ack wait
   * `EVENTS_ACK_WAIT_MS`, max_ack_pending 20000), the object store bucket `<prefix>-bundles`, and when
   * the bus was given `logLimits`, `<PREFIX>_LOGS` (limits retention, file, `<prefix>.log.>`, its max age
   * and max bytes, discard old).
   * Idempotent; safe with several processes racing.
   */
  ensureTopology(): Promise<void>;
  /**
   * Durable pull consumer `pool-<pool>` on `<prefix>.task.<pool>`. Idempotent.
   * @throws TributaryError `InvalidArgument` when the pool name does not match `/^[A-Za-z0-9_-]+$/`.
   */
  ensurePool(pool: string): Promise<void>;
  /**
   * When the task stream was created (epoch ms, the NATS server's clock), or null when it does not
   * exist. A task message published before that was lost with an earlier incarnation of the stream.
   */
  taskStreamCreatedAt(): Promise<number | null>;
  /**
   * Publishes all tasks concurrently and awaits every PubAck. JetStream de-duplicates by msgId, so
   * re-publishing after a crash is harmless. Every message carries a `traceparent` header.
   * @throws TributaryError when any publish failed (the others may have succeeded: publish again).
   */
  publishTasks(tasks: readonly OutgoingTask[]): Promise<void>;
  /**
   * Pull loop on the `coordinator` consumer. Acks a batch only after `handle` resolves; naks it with a
   * 1s delay when `handle` throws; terms undecodable messages. Resolves when `signal` aborts.
   */
  consumeWorkerEvents(options: ConsumeWorkerEventsOptions): Promise<void>;
  /**
   * Makes the stream `<PREFIX>_TRIGGERS` (WorkQueue retention, file storage, max age 7 days) capture
   * every message on `subjects` (DAGs' `on` subjects, wildcards allowed), with the fewest subjects no two
   * of which overlap (NATS refuses overlapping subjects in a stream), and the coordinator's durable pull
   * consumer `coordinator` on it; deletes the stream when `subjects` is empty. Idempotent.
   * @throws TributaryError `InvalidArgument` naming a subject that is not valid or overlaps the bus's
   * `<prefix>.>`; `FailedPrecondition` naming the subject and the other stream that holds it when another
   * stream's subjects overlap; `Unavailable` when NATS cannot be reached.
   */
  ensureTriggerStream(subjects: readonly string[]): Promise<void>;
  /**
   * Pull loop on the triggers stream's `coordinator` consumer. Acks a batch only after `handle` resolves;
   * naks it with a 1s delay when `handle` throws. Resolves when `signal` aborts. While the stream does
   * not exist, fetches fail (reported to `onError`) with backoff.
   */
  consumeTriggerEvents(options: ConsumeTriggerEventsOptions): Promise<void>;
  /** Core NATS subscription to worker heartbeats. Returns an unsubscribe function. */
  subscribeHeartbeats(onHeartbeat: (heartbeat: Heartbeat) => void): () => void;
  /** Tells every worker to abort matching attempts (core NATS, fire and forget). */
  publishCancel(notice: CancelNoticeInit): void;
  readonly bundles: BundleStore;
  /** Large task outputs, stored by workers and read by the workers of downstream tasks. */
  readonly outputs: OutputStore;
  /** Run contexts (`ctx.context`): written by workers, read by workers and the coordinator's run views. */
  readonly context: RunContextBucket;
  /**
   * Whether the event, encoded, fits in one message of the server this bus is connected to (its
   * `max_payload`, less room for headers). A worker event that does not fit can never be published.
   */
  fitsInMessage(event: WorkerEventInit): boolean;
  /**
   * Pull loop on `pool-<pool>` with at most `maxInFlight` un-settled deliveries; calls `handle` per
   * message without awaiting it. Resolves when `signal` aborts and fetching has stopped.
   */
  consumeTasks(options: ConsumeTasksOptions): Promise<void>;
  /**
   * Publishes a `started` or `finished` event, batched with the other events this process reports in
   * the same turn of its event loop (one `WorkerEventBatch` message), retrying with backoff until the
   * PubAck arrives (a result must not be lost).
   * @throws TributaryError `Cancelled` when `signal` aborts first; `InvalidArgument` for an event without
   * `ref` or kind.
   */
  publishWorkerEvent(event: WorkerEventInit, options?: PublishWorkerEventOptions): Promise<void>;
  /**
   * A writer shipping the attempt's log lines (to the `<PREFIX>_LOGS` stream, which the coordinator
   * creates: while it is missing, sends fail and are reported to `onError`).
   */
  openTaskLog(ref: AttemptRef, options?: TaskLogWriterOptions): TaskLogWriter;
  /**
   * The attempt's log batches in the order they were sent, through an ordered consumer deleted when the
   * iteration ends. Ends at the end marker; without `follow` also once the stored batches are read.
   * @throws TributaryError `Unavailable` when NATS or the logs stream cannot be reached.
   */
  readTaskLogs(ref: AttemptRef, options: ReadTaskLogsOptions): AsyncIterable<TaskLogBatch>;
  /** Publishes a heartbeat (core NATS, fire and forget). */
  publishHeartbeat(heartbeat: HeartbeatInit): void;
  /** Core NATS subscription to cancel notices. Returns an unsubscribe function. */
  subscribeCancels(onCancel: (notice: CancelNotice) => void): () => void;
  /** Drains subscriptions and closes the connection. Idempotent. */
  close(): Promise<void>;
}
