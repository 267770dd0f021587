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
  /** Carries {@link ThreadMessage}s out and {@link MainMessage}s in; transferred, not cloned. */
  port: MessagePort;
}

/**
 * What the thread returns. Errors are already Failures: a clone would drop their class and fields.
 * `skipped`: the task threw a skip signal (SkipTask, `ctx.skip()`), which only the thread can recognise.
 */
export type NodeThreadResult =
  | { ok: true; output: JsonValue }
  | { ok: false; error: Failure; skipped: boolean };

/** Thread to main, on the task's port, in order. `end` is always last when the thread was not killed. */
export type ThreadMessage =
  | { type: 'started'; at: number }
  | { type: 'log'; stream: LogLine['stream']; line: string; at: number; level?: LogLevel }
  | { type: 'end' }
  | ContextCall;

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
export type MainMessage =
  | { type: 'abort'; name: 'TimeoutError' | 'AbortError'; message: string }
  | ContextReply;
