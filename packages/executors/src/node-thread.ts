// The piscina worker file: runs one node task attempt inside a pool thread. Compiled to
// dist/node-thread.js, which is what the pool loads (see node-pool.ts).
import { format } from 'node:util';
import { MessageChannel, type MessagePort, parentPort, threadId } from 'node:worker_threads';
import { context as otelContext, ROOT_CONTEXT } from '@opentelemetry/api';
import { type Failure, toFailure } from '@tributary/core';
import {
  DEFAULT_SKIP_REASON,
  isSkipSignal,
  type LogLevel,
  type NodeTaskContext,
  type RunContext,
  SKIP_TASK_NAME,
  SkipTask,
  type TaskLogger,
} from '@tributary/sdk';
// Subpaths: a pool thread loads only what it uses (not the logger, not the metrics server).
import { extractContext } from '@tributary/telemetry/trace-context';
import { toJsonOutput } from './json-output.js';
import { captureConsole } from './node-console-capture.js';
import { loadTaskModule } from './node-module-loader.js';
import {
  type ContextReply,
  type MainMessage,
  type NodeThreadOutcome,
  type NodeThreadResult,
  type NodeThreadTask,
  THREAD_PORT_MESSAGE,
  type ThreadMessage,
  type ThreadPortMessage,
} from './node-protocol.js';
import { createThreadRunContext } from './node-thread-context.js';
import { flushThreadSpans, startThreadTracing, taskSpan } from './node-thread-tracing.js';
import type { LogLine } from './types.js';

/** The attempt this thread runs (or ran last): where the main thread's messages for it go. */
interface CurrentAttempt {
  attemptId: number;
  abort: AttemptAbort;
  onReply(reply: ContextReply): void;
}

let current: CurrentAttempt | undefined;
let port: MessagePort | undefined;

/**
 * This thread's port to the main thread, opened on its first task and handed over on `parentPort`
 * (piscina passes such messages on as the pool's `message` event). One port per thread rather than one
 * per task: creating and transferring a channel cost more than running a no-op task.
 */
function mainPort(): MessagePort {
  if (port !== undefined) return port;
  if (parentPort === null) throw new Error('node-thread.js runs only as a piscina pool thread');
  const channel = new MessageChannel();
  channel.port1.on('message', (message: MainMessage) => {
    // An abort or a reply for an attempt this thread no longer runs comes too late: the next task must
    // not see it.
    if (current === undefined || message.attemptId !== current.attemptId) return;
    if (message.type === 'abort') current.abort.abort(new DOMException(message.message, message.name));
    else current.onReply(message);
  });
  const handover: ThreadPortMessage = { type: THREAD_PORT_MESSAGE, port: channel.port2, threadId };
  parentPort.postMessage(handover, [channel.port2]);
  port = channel.port1;
  return port;
}

/**
 * The attempt's `ctx.signal`, its AbortController made on first use: creating one costs more than a
 * no-op task's own code, and most tasks never look at their signal. An abort that comes first is kept and
 * applied when the signal is made, so the task sees the same signal and reason either way.
 */
export class AttemptAbort {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Like `AbortController.abort`: the first reason stays. */
  abort(reason: unknown): void {
    if (this.#controller !== undefined) this.#controller.abort(reason);
    else if (!this.#aborted) {
      this.#aborted = true;
      this.#reason = reason;
    }
  }

  /** Like `AbortSignal.throwIfAborted`, without making the signal. */
  throwIfAborted(): void {
    if (this.#controller !== undefined) this.#controller.signal.throwIfAborted();
    else if (this.#aborted) throw this.#reason;
  }
}

/** Runs the task's exported function and returns its JSON output or its failure; never throws. */
export default async function runNodeTask(task: NodeThreadTask): Promise<NodeThreadResult> {
  const out = mainPort();
  const { attemptId } = task;
  let sent = 0;
  const send = (message: ThreadMessage): void => {
    sent++;
    out.postMessage(message);
  };
  const abort = new AttemptAbort();
  const runContext = createThreadRunContext(task.taskId, (call) => send({ ...call, attemptId }));
  current = { attemptId, abort, onReply: runContext.onReply };
  const startedAt = Date.now();
  // Not counted in `sent`: see NodeThreadResult.
  const started: ThreadMessage = { type: 'started', attemptId, at: startedAt };
  out.postMessage(started);
  const emit = (stream: LogLine['stream'], text: string, level?: LogLevel): void => {
    const at = Date.now();
    for (const line of text.split('\n')) {
      send(
        level === undefined
          ? { type: 'log', attemptId, stream, line, at }
          : { type: 'log', attemptId, stream, line, at, level },
      );
    }
  };
  captureConsole((stream, text) => emit(stream, text));
  let outcome: NodeThreadOutcome;
  try {
    await startThreadTracing();
    const ctx = createContext(task, abort, emit, runContext.context);
    // The task's code runs in the attempt's span: its own spans (ctx.span, the OpenTelemetry API) are
    // children of it.
    outcome = await otelContext.with(extractContext(task.traceparent, ROOT_CONTEXT), () =>
      callTask(task, ctx, abort),
    );
  } catch (error) {
    // Recognised here: the SkipTask's mark would not survive the trip to the main thread.
    outcome = isSkipSignal(error)
      ? { ok: false, error: skipFailure(error), skipped: true }
      : { ok: false, error: toFailure(error), skipped: false };
  } finally {
    captureConsole(undefined);
    await flushThreadSpans();
  }
  return { ...outcome, sent, startedAt };
}

async function callTask(
  task: NodeThreadTask,
  ctx: NodeTaskContext,
  abort: AttemptAbort,
): Promise<NodeThreadOutcome> {
  const module = await loadTaskModule(task.modulePath);
  // A CommonJS module's exports arrive as the default export when Node cannot detect them by name.
  const fn =
    module[task.exportName] ?? (module.default as Record<string, unknown> | undefined)?.[task.exportName];
  if (typeof fn !== 'function') {
    return {
      ok: false,
      skipped: false,
      error: {
        type: 'TaskModuleError',
        message: `task '${task.taskId}': module ${task.modulePath} has no exported function '${task.exportName}'`,
        retryable: false,
      },
    };
  }
  // Stopped while the module loaded: the task's code never sees a signal that is already aborted.
  abort.throwIfAborted();
  const value: unknown = await fn(ctx);
  const output = toJsonOutput(value, task.taskId);
  return output.ok ? output : { ...output, skipped: false };
}

/** The skip's reason as the task's error: shown with the task, never retried. */
function skipFailure(error: unknown): Failure {
  const message = (error as { message?: unknown }).message;
  return {
    type: SKIP_TASK_NAME,
    message: typeof message === 'string' && message !== '' ? message : DEFAULT_SKIP_REASON,
    retryable: false,
  };
}

function createContext(
  task: NodeThreadTask,
  abort: AttemptAbort,
  emit: (stream: LogLine['stream'], text: string, level?: LogLevel) => void,
  context: RunContext,
): NodeTaskContext {
  const at =
    (level: LogLevel) =>
    (...args: unknown[]) =>
      emit('log', format(...args), level);
  const log: TaskLogger = Object.assign(at('info'), {
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  });
  const ctx: NodeTaskContext = {
    params: task.params,
    inputs: task.inputs,
    runId: task.runId,
    taskId: task.taskId,
    attempt: task.attempt,
    env: task.env,
    secrets: Object.freeze(task.secrets),
    matrix: task.matrix,
    get signal() {
      return abort.signal;
    },
    log,
    context,
    skip(reason) {
      throw new SkipTask(reason);
    },
    span: taskSpan,
  };
  if (task.traceparent !== undefined) ctx.traceparent = task.traceparent;
  if (task.matrixIndex !== undefined) ctx.matrixIndex = task.matrixIndex;
  if (task.mapIndex !== undefined) {
    ctx.mapIndex = task.mapIndex;
    ctx.mapItem = task.mapItem ?? null;
  }
  return ctx;
}
