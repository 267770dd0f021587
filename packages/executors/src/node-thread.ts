// The piscina worker file: runs one node task attempt inside a pool thread. Compiled to
// dist/node-thread.js, which is what the pool loads (see node-pool.ts).
import { format } from 'node:util';
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
import type { MainMessage, NodeThreadResult, NodeThreadTask, ThreadMessage } from './node-protocol.js';
import { createThreadRunContext } from './node-thread-context.js';
import { flushThreadSpans, startThreadTracing, taskSpan } from './node-thread-tracing.js';
import type { LogLine } from './types.js';

/** Runs the task's exported function and returns its JSON output or its failure; never throws. */
export default async function runNodeTask(task: NodeThreadTask): Promise<NodeThreadResult> {
  const { port } = task;
  const send = (message: ThreadMessage): void => port.postMessage(message);
  const controller = new AbortController();
  const runContext = createThreadRunContext(task.taskId, send);
  port.on('message', (message: MainMessage) => {
    if (message.type === 'abort') controller.abort(new DOMException(message.message, message.name));
    else if (message.type === 'context') runContext.onReply(message);
  });
  send({ type: 'started', at: Date.now() });
  const emit = (stream: LogLine['stream'], text: string, level?: LogLevel): void => {
    const at = Date.now();
    for (const line of text.split('\n')) {
      send(
        level === undefined ? { type: 'log', stream, line, at } : { type: 'log', stream, line, at, level },
      );
    }
  };
  captureConsole((stream, text) => emit(stream, text));
  try {
    await startThreadTracing();
    const ctx = createContext(task, controller.signal, emit, runContext.context);
    // The task's code runs in the attempt's span: its own spans (ctx.span, the OpenTelemetry API) are
    // children of it.
    return await otelContext.with(extractContext(task.traceparent, ROOT_CONTEXT), () => callTask(task, ctx));
  } catch (error) {
    // Recognised here: the SkipTask's mark would not survive the trip to the main thread.
    if (isSkipSignal(error)) return { ok: false, error: skipFailure(error), skipped: true };
    return { ok: false, error: toFailure(error), skipped: false };
  } finally {
    captureConsole(undefined);
    await flushThreadSpans();
    // The main thread closes the channel once `end` arrives (or the thread is killed); closing it here
    // could race the delivery of the last messages.
    send({ type: 'end' });
  }
}

async function callTask(task: NodeThreadTask, ctx: NodeTaskContext): Promise<NodeThreadResult> {
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
  ctx.signal.throwIfAborted();
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
  signal: AbortSignal,
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
    signal,
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
