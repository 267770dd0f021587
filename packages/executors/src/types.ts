import type { Failure, JsonObject, JsonValue } from '@tributary/core';
import type { TaskModel } from '@tributary/spec';

/** One attempt of one task to execute. */
export interface ExecutionRequest {
  runId: string;
  taskId: string;
  attempt: number;
  /** The compiled task: its kind decides the executor. */
  task: TaskModel;
  /** Absolute path of the unpacked DAG folder; module paths and shell commands resolve from here. */
  bundleDir: string;
  params: JsonObject;
  /** Upstream outputs by task id. */
  inputs: Record<string, JsonValue>;
  /** W3C traceparent of the attempt's span, passed on to the task (TRACEPARENT env, ctx). */
  traceparent?: string;
}

/** How an attempt ended. Executors return failures as data; they never throw for a task's own error. */
export type ExecutionOutcome = 'succeeded' | 'failed' | 'timed_out' | 'cancelled';

export interface ExecutionResult {
  outcome: ExecutionOutcome;
  /** The JSON output when succeeded (null when the task produced none). */
  output?: JsonValue;
  error?: Failure;
  /** Epoch ms. */
  startedAt: number;
  finishedAt: number;
  /** The last lines the task logged (stdout, stderr, ctx.log), oldest first. */
  logTail: string[];
}

export interface LogLine {
  stream: 'stdout' | 'stderr' | 'log';
  line: string;
  /** Epoch ms. */
  at: number;
  /** For `ctx.log` lines (stream `log`): which method wrote it. Added: optional, absent for stdout/stderr. */
  level?: LogLevel;
}

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
 * What a node task's exported function receives. Added for task authors:
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
}

export interface ExecuteOptions {
  /** Aborting it cancels the attempt: outcome `cancelled`. */
  signal?: AbortSignal;
  /** Called for every log line as it is produced. */
  onLog?: (line: LogLine) => void;
}

/** Runs task attempts of every kind. */
export interface TaskExecutor {
  execute(request: ExecutionRequest, options?: ExecuteOptions): Promise<ExecutionResult>;
  /** Stops thread pools and kills any process still running. */
  close(): Promise<void>;
}

export interface ExecutorOptions {
  /** Threads in the piscina pool for node tasks. @default os.availableParallelism() */
  maxThreads?: number;
  /** After a timeout or cancel: how long a task gets to stop before its process group is killed. @default 5000 */
  killGraceMs?: number;
  /** How many log lines a result keeps. @default 20 */
  logTailLines?: number;
  /**
   * The environment shell tasks start from, before the task's own `env` and the `TRIBUTARY_*` variables.
   * Added: lets a worker keep its own secrets (e.g. NATS credentials) away from task processes.
   * @default process.env
   */
  baseEnv?: Readonly<Record<string, string | undefined>>;
}
