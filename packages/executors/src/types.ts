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
}
