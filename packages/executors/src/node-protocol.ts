import type { MessagePort } from 'node:worker_threads';
import type { Failure, JsonObject, JsonValue } from '@tributary/core';
import type { LogLevel } from '@tributary/sdk';
import type { LogLine } from './types.js';

/** What the main thread sends piscina for one node task attempt. Structured-cloned, so plain data only. */
export interface NodeThreadTask {
  /** Absolute path of the task module. */
  modulePath: string;
  exportName: string;
  runId: string;
  taskId: string;
  attempt: number;
  params: JsonObject;
  inputs: Record<string, JsonValue>;
  env: Record<string, string>;
  /** The values of the secrets the task names, by name: `ctx.secrets`. */
  secrets: Record<string, string>;
  /** The instance's matrix values; empty when the task has no matrix. */
  matrix: Record<string, string | number | boolean>;
  matrixIndex?: number;
  /** Set in an instance of a mapped task: its index in the list it maps over. */
  mapIndex?: number;
  /** Set with `mapIndex`: the instance's element of the list. */
  mapItem?: JsonValue;
  traceparent?: string;
  /**
   * Tags the attempt's messages, unique in its pool: every {@link ThreadMessage} about the attempt
   * carries it, and a thread ignores {@link MainMessage}s for an attempt it no longer runs.
   */
  attemptId: number;
}

/**
 * What the thread returns. Errors are already Failures: a clone would drop their class and fields.
 * `skipped`: the task threw a skip signal (SkipTask, `ctx.skip()`), which only the thread can recognise.
 * `sent`: how many {@link ThreadMessage}s after `started` the attempt had posted when it ended. They
 * travel on the thread's port, not with the result, so the main thread waits for any it has not received
 * yet: the log is complete before the result is. `started` is not counted: nothing needs it once the
 * result is in, and it is usually received after the result (the main thread handles piscina's port
 * first). `startedAt` repeats its time for that reason.
 */
export type NodeThreadResult = NodeThreadOutcome & { sent: number; startedAt: number };

/** How the task's function ended: its JSON output, or its failure. */
export type NodeThreadOutcome =
  | { ok: true; output: JsonValue }
  | { ok: false; error: Failure; skipped: boolean };

/**
 * Thread to main, in order, on the port the thread opened on its first task (see
 * {@link ThreadPortMessage}). `started` is always the attempt's first message.
 */
export type ThreadMessage = { attemptId: number } & (
  | { type: 'started'; at: number }
  | { type: 'log'; stream: LogLine['stream']; line: string; at: number; level?: LogLevel }
  | ContextCall
);

/** What a pool thread's `parentPort` carries once, before its first task's messages: its port. */
export interface ThreadPortMessage {
  type: typeof THREAD_PORT_MESSAGE;
  /** Carries the thread's {@link ThreadMessage}s out and {@link MainMessage}s in. */
  port: MessagePort;
  /** The thread's `threadId`: how the main thread finds it to terminate it. */
  threadId: number;
}

/** The `type` of a {@link ThreadPortMessage}, unlike anything else a thread may post on `parentPort`. */
export const THREAD_PORT_MESSAGE = 'tributary:thread-port';

/**
 * A `ctx.context` call, answered by a {@link ContextReply} with the same `id`. A `set`'s value travels
 * as JSON text: the thread serialises it (refusing what is not JSON), the main thread checks its size.
 */
export type ContextCall = { type: 'context'; id: number } & ContextOperation;

/** What a {@link ContextCall} asks for. */
export type ContextOperation =
  | { op: 'get'; key: string }
  | { op: 'set'; key: string; json: string }
  | { op: 'keys' };

/** The answer to a {@link ContextCall}: `value` for `get` (absent: no such key), `keys` for `keys`. */
export type ContextReply =
  | { type: 'context'; id: number; ok: true; value?: JsonValue; keys?: string[] }
  | { type: 'context'; id: number; ok: false; error: Failure };

/**
 * Main to thread: abort the task's signal with a `DOMException` of this name, or answer a context call.
 */
export type MainMessage = { attemptId: number } & (
  | { type: 'abort'; name: 'TimeoutError' | 'AbortError'; message: string }
  | ContextReply
);
