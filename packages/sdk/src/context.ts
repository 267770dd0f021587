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
 * The run context: a key-value store shared by every task of one run (`ctx.context`). One task sets a
 * value, any task that runs later in the same run reads it. Keys are 1-128 characters of
 * `[A-Za-z0-9_.-]`; values are JSON of at most 1 MiB. Shell tasks see a read-only snapshot of the whole
 * context, taken when they start, as JSON in `TRIBUTARY_CONTEXT`.
 */
export interface RunContext {
  /** The key's value, or undefined when no task set it. Rejects for an invalid key. */
  get(key: string): Promise<JsonValue | undefined>;
  /** Sets (or replaces) the key's value. Rejects for an invalid key or a value over 1 MiB. */
  set(key: string, value: JsonValue): Promise<void>;
  /** Every key set so far in this run, sorted. */
  keys(): Promise<string[]>;
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
  /**
   * The values of the secrets the task names in its spec (`secrets: [API_TOKEN]` gives
   * `ctx.secrets.API_TOKEN`), resolved where the task runs; frozen. Their values are replaced by `***`
   * in the task's log lines (`ctx.log`, console) and error, but not in its output.
   */
  secrets: Readonly<Record<string, string>>;
  /**
   * In an instance of a task with a `matrix`, its values (`{ region: 'eu', weight: 10 }`); empty in
   * other tasks.
   */
  matrix: Record<string, string | number | boolean>;
  /** In an instance of a matrix task, its index (the `n` of `load[n]`); absent in other tasks. */
  matrixIndex?: number;
  /**
   * In an instance of a mapped task (one with `map: { over: ... }`), its index in the list it maps over
   * (the `n` of `process[n]`); absent in other tasks.
   */
  mapIndex?: number;
  /** In an instance of a mapped task, its element of the list (`{{ map.item }}`); absent in other tasks. */
  mapItem?: JsonValue;
  /** Aborted on timeout (reason: a `TimeoutError` DOMException) or cancel (an `AbortError`). */
  signal: AbortSignal;
  log: TaskLogger;
  /** The run's shared key-value store (see {@link RunContext}). */
  context: RunContext;
  /** W3C traceparent of the attempt's span, to parent the task's own spans. */
  traceparent?: string;
  /**
   * Runs `fn` in a new span, a child of the attempt's span in the run's trace, and ends it when `fn`
   * settles (recording a thrown error). The OpenTelemetry API works too: the task runs inside the
   * attempt's span, so spans started with `trace.getTracer(...)` land under it. Spans are exported
   * when the worker's `OTEL_*` variables configure tracing; otherwise `fn` just runs.
   */
  span<T>(
    name: string,
    fn: () => T | Promise<T>,
    attributes?: Record<string, string | number | boolean>,
  ): Promise<T>;
  /**
   * Ends the task `skipped` (not failed, never retried) by throwing a {@link SkipTask} with `reason`.
   * The same as `throw new SkipTask(reason)`.
   */
  skip(reason?: string): never;
}
