import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { Code, type JsonObject, TributaryError } from '@tributary/core';
import {
  type CancelNotice,
  CancelNoticeSchema,
  type Heartbeat,
  HeartbeatSchema,
  type TaskLogBatch,
  TaskLogBatchSchema,
  type TaskMessage,
  TaskMessageSchema,
  type WorkerEvent,
  WorkerEventBatchSchema,
  WorkerEventSchema,
} from '@tributary/proto';
import type {
  CancelNoticeInit,
  HeartbeatInit,
  TaskLogBatchInit,
  TaskOrder,
  WorkerEventInit,
} from './types.js';

// One encode/decode pair per bus message, so every publisher and consumer agrees on the wire format.

/** Header carrying the W3C trace context on every JetStream message. */
export const TRACEPARENT_HEADER = 'traceparent';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Encodes a task message (the JSON documents as JSON bytes: see `TaskMessage` in bus.proto). */
export function encodeTaskMessage(order: TaskOrder): Uint8Array {
  return toBinary(
    TaskMessageSchema,
    create(TaskMessageSchema, {
      runId: order.runId,
      taskId: order.taskId,
      attempt: order.attempt,
      dag: order.dag,
      dagVersion: order.dagVersion,
      bundleHash: order.bundleHash,
      taskJson: utf8Encoder.encode(JSON.stringify(order.task)),
      paramsJson: utf8Encoder.encode(JSON.stringify(order.params)),
      inputsJson: utf8Encoder.encode(JSON.stringify(order.inputs)),
      logicalDate: timestampFromMs(order.logicalDate),
      dataIntervalStart: timestampFromMs(order.logicalDate),
      dataIntervalEnd: timestampFromMs(order.dataIntervalEnd),
    }),
  );
}

/** Decodes a task message. @throws TributaryError `DataLoss` when the bytes are not one. */
export function decodeTaskMessage(bytes: Uint8Array): TaskOrder {
  const message = decode(TaskMessageSchema, bytes);
  return {
    runId: message.runId,
    taskId: message.taskId,
    attempt: message.attempt,
    dag: message.dag,
    dagVersion: message.dagVersion,
    bundleHash: message.bundleHash,
    task: jsonObjectField(message, 'task', message.taskJson),
    params: jsonObjectField(message, 'params', message.paramsJson),
    inputs: jsonObjectField(message, 'inputs', message.inputsJson),
    ...runDates(message),
  };
}

/** The run's logical date and data interval end; messages from before data intervals carry only the first. */
function runDates(message: TaskMessage): { logicalDate: number; dataIntervalEnd: number } {
  const logicalDate = message.logicalDate ? timestampMs(message.logicalDate) : Date.now();
  const dataIntervalEnd = message.dataIntervalEnd ? timestampMs(message.dataIntervalEnd) : logicalDate;
  return { logicalDate, dataIntervalEnd };
}

function jsonObjectField(message: TaskMessage, field: string, bytes: Uint8Array): JsonObject {
  let value: unknown;
  try {
    value = bytes.byteLength === 0 ? {} : JSON.parse(utf8Decoder.decode(bytes));
  } catch (error) {
    throw new TributaryError(
      Code.DataLoss,
      `task message ${message.runId}/${message.taskId}: ${field} is not JSON: ${String(error)}`,
      { cause: error },
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TributaryError(
      Code.DataLoss,
      `task message ${message.runId}/${message.taskId}: ${field} is not a JSON object`,
    );
  }
  return value as JsonObject;
}

/** Encodes a worker event. */
export function encodeWorkerEvent(event: WorkerEvent): Uint8Array {
  return toBinary(WorkerEventSchema, event);
}

/**
 * Builds a worker event and checks what consumers rely on: an attempt ref and an event kind.
 * @throws TributaryError `InvalidArgument` otherwise.
 */
export function createWorkerEvent(
  init: WorkerEventInit,
): WorkerEvent & { ref: NonNullable<WorkerEvent['ref']> } {
  const event = create(WorkerEventSchema, init);
  if (event.ref === undefined || event.ref.runId === '' || event.ref.taskId === '') {
    throw new TributaryError(Code.InvalidArgument, 'worker event needs a ref with run_id and task_id');
  }
  if (event.event.case === undefined) {
    throw new TributaryError(Code.InvalidArgument, 'worker event needs a kind (started or finished)');
  }
  return event as WorkerEvent & { ref: NonNullable<WorkerEvent['ref']> };
}

/** The events of a `WorkerEventBatch`, and how many of them lacked a ref or a kind (left out). */
export interface DecodedWorkerEvents {
  events: WorkerEvent[];
  invalid: number;
}

/**
 * Decodes a batch of worker events; events without a ref or a kind are left out and counted.
 * @throws TributaryError `DataLoss` when the bytes are not a batch.
 */
export function decodeWorkerEventBatch(bytes: Uint8Array): DecodedWorkerEvents {
  const batch = decode(WorkerEventBatchSchema, bytes);
  const events = batch.events.filter((event) => event.ref !== undefined && event.event.case !== undefined);
  return { events, invalid: batch.events.length - events.length };
}

/** Encodes a heartbeat. */
export function encodeHeartbeat(init: HeartbeatInit): Uint8Array {
  return toBinary(HeartbeatSchema, create(HeartbeatSchema, init));
}

/** Decodes a heartbeat. @throws TributaryError `DataLoss` when the bytes are not one. */
export function decodeHeartbeat(bytes: Uint8Array): Heartbeat {
  return decode(HeartbeatSchema, bytes);
}

/** Encodes a cancel notice. */
export function encodeCancelNotice(init: CancelNoticeInit): Uint8Array {
  return toBinary(CancelNoticeSchema, create(CancelNoticeSchema, init));
}

/** Decodes a cancel notice. @throws TributaryError `DataLoss` when the bytes are not one. */
export function decodeCancelNotice(bytes: Uint8Array): CancelNotice {
  return decode(CancelNoticeSchema, bytes);
}

/** Encodes a batch of an attempt's log lines. */
export function encodeTaskLogBatch(init: TaskLogBatchInit): Uint8Array {
  return toBinary(TaskLogBatchSchema, create(TaskLogBatchSchema, init));
}

/** Decodes a batch of log lines. @throws TributaryError `DataLoss` when the bytes are not one. */
export function decodeTaskLogBatch(bytes: Uint8Array): TaskLogBatch {
  return decode(TaskLogBatchSchema, bytes);
}

function decode<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array): MessageShape<Desc> {
  try {
    return fromBinary(schema, bytes);
  } catch (error) {
    throw new TributaryError(Code.DataLoss, `undecodable ${schema.typeName}: ${String(error)}`, {
      cause: error,
    });
  }
}
