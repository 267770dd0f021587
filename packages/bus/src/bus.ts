import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import { connect, type NatsConnection, nuid, type Status } from '@nats-io/transport-node';
import { Code, TributaryError } from '@tributary/core';
import { createBundleStore } from './bundles.js';
import {
  createWorkerEvent,
  decodeCancelNotice,
  decodeHeartbeat,
  encodeCancelNotice,
  encodeHeartbeat,
  encodeTaskLogBatch,
  encodeWorkerEvent,
} from './codec.js';
import { consumeWorkerEvents } from './consume-events.js';
import { consumeTasks } from './consume-tasks.js';
import { consumeTriggerEvents } from './consume-triggers.js';
import { JetStreamPublisher } from './jetstream-publisher.js';
import { natsAuthOptions, withoutCredentials } from './nats-auth.js';
import { lazyBucket, openObjectBucket } from './object-bucket.js';
import { createOutputStore } from './outputs.js';
import { publishTasks, traceHeaders } from './publish.js';
import { createRunContextBucket, openContextBucket } from './run-context.js';
import {
  assertName,
  COORDINATOR_CONSUMER,
  createSubjects,
  createTopologyNames,
  DEFAULT_PREFIX,
  type TopologyNames,
} from './subjects.js';
import { readTaskLogs } from './task-log-reader.js';
import { createTaskLogWriter, DEFAULT_LOG_BATCH_BYTES } from './task-log-writer.js';
import {
  DEFAULT_LOG_MAX_BYTES,
  DEFAULT_LOG_RETENTION_MS,
  ensureLogStream,
  ensurePoolConsumer,
  ensureStreams,
} from './topology.js';
import { ensureTriggerStream } from './trigger-stream.js';
import type {
  AttemptRef,
  BundleStore,
  Bus,
  BusOptions,
  BusSubjects,
  CancelNoticeInit,
  ConsumeTasksOptions,
  ConsumeTriggerEventsOptions,
  ConsumeWorkerEventsOptions,
  HeartbeatInit,
  LogStreamLimits,
  OutgoingTask,
  OutputStore,
  PublishWorkerEventOptions,
  ReadTaskLogsOptions,
  RunContextBucket,
  TaskLogWriter,
  TaskLogWriterOptions,
  WorkerEventInit,
} from './types.js';
import { WorkerEventBatcher } from './worker-event-batcher.js';

/** Default AckWait of pool consumers, in ms. */
export const DEFAULT_TASK_ACK_WAIT_MS = 30_000;

// The server's own default max_payload, assumed until it tells us (it always does on connect).
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
// Room for the headers next to a worker event (traceparent, Nats-Msg-Id, framing): well over their size.
const HEADER_ALLOWANCE = 1024;

/**
 * Connects to NATS. Once connected, the client reconnects forever (with jittered waits) after any
 * disconnect; `onStatus` hears about each.
 * @throws TributaryError `Unavailable` when the first connection fails; `InvalidArgument` for a bad prefix.
 */
export async function connectBus(options: BusOptions): Promise<Bus> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  assertName('prefix', prefix);
  const taskAckWaitMs = options.taskAckWaitMs ?? DEFAULT_TASK_ACK_WAIT_MS;
  if (!Number.isInteger(taskAckWaitMs) || taskAckWaitMs < 1) {
    throw new TributaryError(
      Code.InvalidArgument,
      `taskAckWaitMs must be a positive integer, got ${taskAckWaitMs}`,
    );
  }
  const logLimits = options.logLimits === undefined ? undefined : compileLogLimits(options.logLimits);
  const servers = Array.isArray(options.servers) ? options.servers : [options.servers];
  const auth = await natsAuthOptions(options.auth, servers);
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: options.servers,
      ...auth,
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
      reconnectJitter: 500,
    });
  } catch (error) {
    throw new TributaryError(
      Code.Unavailable,
      `cannot connect to NATS at ${servers.map(withoutCredentials).join(',')}: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc);
  } catch (error) {
    await nc.close();
    throw new TributaryError(Code.Unavailable, `JetStream is not available: ${String(error)}`, {
      cause: error,
    });
  }
  return new NatsBus(nc, jsm, jetstream(nc), prefix, taskAckWaitMs, logLimits, options.onStatus);
}

/**
 * The logs stream's limits with defaults filled in.
 * @throws TributaryError `InvalidArgument` naming a limit that is not a positive integer.
 */
function compileLogLimits(limits: LogStreamLimits): { maxAgeMs: number; maxBytes: number } {
  const maxAgeMs = limits.retentionMs ?? DEFAULT_LOG_RETENTION_MS;
  const maxBytes = limits.maxBytes ?? DEFAULT_LOG_MAX_BYTES;
  for (const [field, value] of [
    ['logLimits.retentionMs', maxAgeMs],
    ['logLimits.maxBytes', maxBytes],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new TributaryError(Code.InvalidArgument, `${field} must be a positive integer, got ${value}`);
    }
  }
  return { maxAgeMs, maxBytes };
}

class NatsBus implements Bus {
  readonly subjects: BusSubjects;
  readonly bundles: BundleStore;
  readonly outputs: OutputStore;
  readonly context: RunContextBucket;
  private readonly names: TopologyNames;
  private readonly bundlesBucket: () => Promise<ObjectStore>;
  private readonly publisher: JetStreamPublisher;
  private readonly events: WorkerEventBatcher;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    readonly prefix: string,
    private readonly taskAckWaitMs: number,
    private readonly logLimits: { maxAgeMs: number; maxBytes: number } | undefined,
    onStatus: ((status: string) => void) | undefined,
  ) {
    this.subjects = createSubjects(prefix);
    this.names = createTopologyNames(prefix);
    this.bundlesBucket = lazyBucket(() => openObjectBucket(js, this.names.bundlesBucket));
    this.bundles = createBundleStore(this.bundlesBucket);
    this.outputs = createOutputStore(lazyBucket(() => openObjectBucket(js, this.names.outputsBucket)));
    this.context = createRunContextBucket(lazyBucket(() => openContextBucket(js, this.names.contextBucket)));
    this.publisher = new JetStreamPublisher(nc);
    this.events = new WorkerEventBatcher(
      (batch, msgId, traceparent) =>
        this.publisher.publish(this.subjects.events, batch, { msgId, headers: traceHeaders(traceparent) }),
      () => this.maxPayload() - HEADER_ALLOWANCE,
      nuid.next(),
    );
    if (onStatus !== undefined) void this.watchStatus(onStatus);
  }

  async ensureTopology(): Promise<void> {
    await ensureStreams(this.jsm, this.names);
    if (this.logLimits !== undefined) await ensureLogStream(this.jsm, this.names, this.logLimits);
    await this.bundlesBucket();
  }

  async ensurePool(pool: string): Promise<void> {
    const subject = this.subjects.task(pool);
    await ensurePoolConsumer(this.jsm, this.names, pool, subject, this.taskAckWaitMs);
  }

  async taskStreamCreatedAt(): Promise<number | null> {
    try {
      const info = await this.jsm.streams.info(this.names.tasksStream);
      return Date.parse(info.created);
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return null;
      throw TributaryError.from(error, Code.Unavailable);
    }
  }

  publishTasks(tasks: readonly OutgoingTask[]): Promise<void> {
    return publishTasks(this.publisher, this.subjects, tasks);
  }

  consumeWorkerEvents(options: ConsumeWorkerEventsOptions): Promise<void> {
    return consumeWorkerEvents(
      this.nc,
      { stream: this.names.eventsStream, consumer: COORDINATOR_CONSUMER },
      options,
    );
  }

  ensureTriggerStream(subjects: readonly string[]): Promise<void> {
    return ensureTriggerStream(this.jsm, this.names, this.prefix, subjects);
  }

  consumeTriggerEvents(options: ConsumeTriggerEventsOptions): Promise<void> {
    return consumeTriggerEvents(
      this.nc,
      { stream: this.names.triggersStream, consumer: COORDINATOR_CONSUMER },
      options,
    );
  }

  consumeTasks(options: ConsumeTasksOptions): Promise<void> {
    const consumer = this.names.poolConsumer(options.pool);
    return consumeTasks(this.nc, { stream: this.names.tasksStream, consumer }, options);
  }

  fitsInMessage(event: WorkerEventInit): boolean {
    return encodeWorkerEvent(createWorkerEvent(event)).byteLength + HEADER_ALLOWANCE <= this.maxPayload();
  }

  publishWorkerEvent(event: WorkerEventInit, options: PublishWorkerEventOptions = {}): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = encodeWorkerEvent(createWorkerEvent(event));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.events.publish(bytes, options);
  }

  private maxPayload(): number {
    return this.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
  }

  openTaskLog(ref: AttemptRef, options: TaskLogWriterOptions = {}): TaskLogWriter {
    const subject = this.subjects.taskLog(ref);
    const maxPayload = this.maxPayload();
    // A batch's ref and framing stay far below the header allowance, counted twice for them.
    const ceiling = maxPayload - 2 * HEADER_ALLOWANCE;
    const maxBatchBytes = Math.min(options.maxBatchBytes ?? DEFAULT_LOG_BATCH_BYTES, ceiling);
    return createTaskLogWriter(
      ref,
      async (batch) => {
        await this.publisher.publish(subject, encodeTaskLogBatch(batch), {
          headers: traceHeaders(options.traceparent),
        });
      },
      { ...options, maxBatchBytes },
    );
  }

  readTaskLogs(ref: AttemptRef, options: ReadTaskLogsOptions) {
    return readTaskLogs(this.js, this.names.logsStream, this.subjects.taskLog(ref), options);
  }

  subscribeHeartbeats(onHeartbeat: Parameters<Bus['subscribeHeartbeats']>[0]): () => void {
    return this.subscribe(this.subjects.heartbeat, (data) => onHeartbeat(decodeHeartbeat(data)));
  }

  publishHeartbeat(heartbeat: HeartbeatInit): void {
    this.nc.publish(this.subjects.heartbeat, encodeHeartbeat(heartbeat));
  }

  subscribeCancels(onCancel: Parameters<Bus['subscribeCancels']>[0]): () => void {
    return this.subscribe(this.subjects.cancel, (data) => onCancel(decodeCancelNotice(data)));
  }

  publishCancel(notice: CancelNoticeInit): void {
    this.nc.publish(this.subjects.cancel, encodeCancelNotice(notice));
  }

  close(): Promise<void> {
    this.closing ??= this.drain();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async drain(): Promise<void> {
    if (this.nc.isClosed()) return;
    try {
      await this.nc.drain();
    } catch {
      // Draining fails when the connection is already closing or disconnected: close it outright.
      await this.nc.close();
    }
  }

  private subscribe(subject: string, onData: (data: Uint8Array) => void): () => void {
    const sub = this.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error !== null) return;
        try {
          onData(msg.data);
        } catch {
          // A malformed message (or a throwing callback) must not kill the subscription.
        }
      },
    });
    return () => {
      if (!sub.isClosed()) sub.unsubscribe();
    };
  }

  private async watchStatus(onStatus: (status: string) => void): Promise<void> {
    for await (const status of this.nc.status()) {
      const text = describeStatus(status);
      if (text !== undefined) onStatus(text);
    }
  }
}

// Pings and reconnect attempts are noise for a service log; everything else is worth a line.
function describeStatus(status: Status): string | undefined {
  switch (status.type) {
    case 'ping':
    case 'reconnecting':
      return undefined;
    case 'disconnect':
    case 'reconnect':
      return `${status.type} ${status.server}`;
    case 'error':
      return `error ${String(status.error)}`;
    default:
      return status.type;
  }
}
