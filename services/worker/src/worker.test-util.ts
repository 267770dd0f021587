import { create, toBinary } from '@bufbuild/protobuf';
import { type Bus, encodeTaskMessage, type OutgoingTask, type ReceivedWorkerEvent } from '@tributary/bus';
import type { JsonObject, JsonValue, Logger } from '@tributary/core';
import { BundleSchema, type WorkerEvent } from '@tributary/proto';
import { taskDefaults } from '@tributary/spec';
import { waitFor } from '../../../packages/bus/src/nats-server.test-util.js';

/** A logger that keeps lines for assertions instead of printing them. */
export function memoryLogger(): Logger & { lines: { level: string; msg: string; fields?: object }[] } {
  const lines: { level: string; msg: string; fields?: object }[] = [];
  return {
    lines,
    debug: (msg, fields) => lines.push({ level: 'debug', msg, fields }),
    info: (msg, fields) => lines.push({ level: 'info', msg, fields }),
    warn: (msg, fields) => lines.push({ level: 'warn', msg, fields }),
    error: (msg, fields) => lines.push({ level: 'error', msg, fields }),
  };
}

/** Encodes a bundle from path -> text. */
export function bundleBytes(files: Record<string, string>): Uint8Array {
  const encoder = new TextEncoder();
  return toBinary(
    BundleSchema,
    create(BundleSchema, {
      files: Object.entries(files).map(([path, content]) => ({
        path,
        content: encoder.encode(content),
        mode: 0o644,
      })),
    }),
  );
}

// Every field of a compiled TaskModel (packages/spec model.ts), as the coordinator sends it.
const TASK_DEFAULTS = taskDefaults() as unknown as JsonObject;
/** Fields only shell tasks have. */
const SHELL_DEFAULTS = { skipExitCode: 99 };

/** A task message for a compiled shell or node task. */
export function outgoingTask(
  ref: { runId: string; taskId: string },
  bundleHash: string,
  task: JsonObject,
  extra: { pool?: string; params?: JsonObject; inputs?: Record<string, JsonValue> } = {},
): OutgoingTask {
  const pool = extra.pool ?? 'default';
  return {
    msgId: `${ref.runId}.${ref.taskId}.1`,
    pool,
    payload: encodeTaskMessage({
      ...ref,
      attempt: 1,
      dag: 'test',
      dagVersion: 1,
      bundleHash,
      task: {
        ...TASK_DEFAULTS,
        ...(task.kind === 'shell' ? SHELL_DEFAULTS : {}),
        id: ref.taskId,
        pool,
        ...task,
      },
      params: extra.params ?? {},
      inputs: extra.inputs ?? {},
      logicalDate: Date.now(),
      dataIntervalEnd: Date.now(),
    }),
  };
}

/** Collects every worker event, as the coordinator would, until stopped. */
export function collectEvents(bus: Bus): { events: ReceivedWorkerEvent[]; stop(): Promise<void> } {
  const events: ReceivedWorkerEvent[] = [];
  const controller = new AbortController();
  const loop = bus.consumeWorkerEvents({
    signal: controller.signal,
    handle: async (batch) => {
      events.push(...batch);
    },
  });
  return {
    events,
    async stop() {
      controller.abort();
      await loop;
    },
  };
}

/** The `finished` event of one attempt among `events`, once it arrived. */
export async function finishedEventOf(
  events: readonly ReceivedWorkerEvent[],
  runId: string,
  taskId: string,
  timeoutMs = 15_000,
): Promise<Extract<WorkerEvent['event'], { case: 'finished' }>['value']> {
  const find = () =>
    events.find(
      (received) =>
        received.event.ref?.runId === runId &&
        received.event.ref.taskId === taskId &&
        received.event.event.case === 'finished',
    );
  await waitFor(() => find() !== undefined, timeoutMs);
  const event = find()?.event.event;
  if (event?.case !== 'finished') throw new Error('unreachable');
  return event.value;
}
