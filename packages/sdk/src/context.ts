import type { JsonObject, JsonValue } from './json.js';

/** The level of a `ctx.log` line: `ctx.log()` and `ctx.log.info()` are `info`. */
export type LogLevel = 'info' | 'warn' | 'error';

/** `ctx.log`: call it, or its level methods. Arguments are formatted like `console.log`. */
export interface TaskLogger {
  (...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/**
 * What a node task's exported function receives:
 * `export async function run(ctx: NodeTaskContext) { ... }`.
 */
export interface NodeTaskContext {
  params: JsonObject;
  /** Upstream outputs by task id. */
  inputs: Record<string, JsonValue>;
  runId: string;
  taskId: string;
  attempt: number;
  /** The task's own `env` entries (not the worker's environment). */
  env: Record<string, string>;
  /** Aborted on timeout (reason: a `TimeoutError` DOMException) or cancel (an `AbortError`). */
  signal: AbortSignal;
  log: TaskLogger;
  /** W3C traceparent of the attempt's span, to parent the task's own spans. */
  traceparent?: string;
  /**
   * Ends the task `skipped` (not failed, never retried) by throwing a {@link SkipTask} with `reason`.
   * The same as `throw new SkipTask(reason)`.
   */
  skip(reason?: string): never;
}
