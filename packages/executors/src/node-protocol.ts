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
  | { type: 'end' };

/** Main to thread: abort the task's signal with a `DOMException` of this name. */
export type MainMessage = { type: 'abort'; name: 'TimeoutError' | 'AbortError'; message: string };
