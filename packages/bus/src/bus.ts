import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import { connect, type NatsConnection, type Status } from '@nats-io/transport-node';
import { Code, TributaryError } from '@tributary/core';
import { createBundleStore, openBundleBucket } from './bundles.js';
import { decodeCancelNotice, decodeHeartbeat, encodeCancelNotice, encodeHeartbeat } from './codec.js';
import { consumeWorkerEvents } from './consume-events.js';
import { consumeTasks } from './consume-tasks.js';
import { publishTasks, publishWorkerEvent } from './publish.js';
import {
  assertName,
  COORDINATOR_CONSUMER,
  createSubjects,
  createTopologyNames,
  DEFAULT_PREFIX,
  type TopologyNames,
} from './subjects.js';
import { ensurePoolConsumer, ensureStreams } from './topology.js';
import type {
  BundleStore,
  Bus,
  BusOptions,
  BusSubjects,
  CancelNoticeInit,
  ConsumeTasksOptions,
  ConsumeWorkerEventsOptions,
  HeartbeatInit,
  OutgoingTask,
  PublishWorkerEventOptions,
  WorkerEventInit,
} from './types.js';

/** Default AckWait of pool consumers, in ms. */
export const DEFAULT_TASK_ACK_WAIT_MS = 30_000;

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
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: options.servers,
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
      reconnectJitter: 500,
    });
  } catch (error) {
    throw new TributaryError(
      Code.Unavailable,
      `cannot connect to NATS at ${String(options.servers)}: ${String(error)}`,
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
  return new NatsBus(nc, jsm, jetstream(nc), prefix, taskAckWaitMs, options.onStatus);
}

class NatsBus implements Bus {
  readonly subjects: BusSubjects;
  readonly bundles: BundleStore;
  private readonly names: TopologyNames;
  private bucket: Promise<ObjectStore> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    readonly prefix: string,
    private readonly taskAckWaitMs: number,
    onStatus: ((status: string) => void) | undefined,
  ) {
    this.subjects = createSubjects(prefix);
    this.names = createTopologyNames(prefix);
    this.bundles = createBundleStore(() => this.openBucket());
    if (onStatus !== undefined) void this.watchStatus(onStatus);
  }

  async ensureTopology(): Promise<void> {
    await ensureStreams(this.jsm, this.names);
    await this.openBucket();
  }

  async ensurePool(pool: string): Promise<void> {
    const subject = this.subjects.task(pool);
    await ensurePoolConsumer(this.jsm, this.names, pool, subject, this.taskAckWaitMs);
  }

  publishTasks(tasks: readonly OutgoingTask[]): Promise<void> {
    return publishTasks(this.js, this.subjects, tasks);
  }

  consumeWorkerEvents(options: ConsumeWorkerEventsOptions): Promise<void> {
    return consumeWorkerEvents(
      this.nc,
      { stream: this.names.eventsStream, consumer: COORDINATOR_CONSUMER },
      options,
    );
  }

  consumeTasks(options: ConsumeTasksOptions): Promise<void> {
    const consumer = this.names.poolConsumer(options.pool);
    return consumeTasks(this.nc, { stream: this.names.tasksStream, consumer }, options);
  }

  publishWorkerEvent(event: WorkerEventInit, options?: PublishWorkerEventOptions): Promise<void> {
    return publishWorkerEvent(this.js, this.subjects, event, options);
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

  private openBucket(): Promise<ObjectStore> {
    if (this.bucket === undefined) {
      const opening = openBundleBucket(this.js, this.names.bundlesBucket);
      this.bucket = opening;
      // A failed open is retried by the next caller instead of being cached forever.
      opening.catch(() => {
        if (this.bucket === opening) this.bucket = undefined;
      });
    }
    return this.bucket;
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
