import { isAbsolute, relative, resolve, sep } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { toFailure } from '@tributary/core';
import type { NodeTaskModel } from '@tributary/spec';
import { type AttemptSecrets, NO_SECRETS } from './attempt-secrets.js';
import { InFlightAttempts, startAttempt } from './attempt-start.js';
import type { LogSink } from './log-sink.js';
import { answerContextCall } from './node-context-calls.js';
import { createNodePool, type NodePool } from './node-pool.js';
import type { MainMessage, NodeThreadResult, NodeThreadTask, ThreadMessage } from './node-protocol.js';
import { type AttemptStopper, createAttemptStopper, type StopReason, stopResult } from './stopper.js';
import type {
  ExecuteOptions,
  ExecutionRequest,
  ExecutionResult,
  ExecutorOptions,
  RunContextStore,
} from './types.js';

/** How long to wait for a finished thread's last log messages, which travel on another port. */
const END_WAIT_MS = 1000;

/** Runs node tasks in a lazily created piscina pool. */
export interface NodeExecutor {
  /** `secrets`: the task's, as `ctx.secrets`, masked in its logs. */
  execute(
    request: ExecutionRequest,
    task: NodeTaskModel,
    options?: ExecuteOptions,
    secrets?: AttemptSecrets,
  ): Promise<ExecutionResult>;
  close(): Promise<void>;
}

export function createNodeExecutor(options: Required<ExecutorOptions>): NodeExecutor {
  let pool: NodePool | undefined;
  const running = new InFlightAttempts();
  return {
    async execute(request, task, executeOptions = {}, secrets = NO_SECRETS) {
      const { logs, finish, cancelledBeforeStart } = startAttempt(
        request.taskId,
        task.timeoutMs,
        options.logTailLines,
        executeOptions,
        secrets.masked,
      );
      if (cancelledBeforeStart !== undefined) return cancelledBeforeStart;
      const modulePath = resolveModule(request.bundleDir, task.module);
      if (modulePath === undefined) {
        return finish({ outcome: 'failed', error: escapeFailure(request.taskId, task.module) });
      }
      pool ??= createNodePool(options.maxThreads, options.baseEnv);
      const attempt = runInPool(
        pool,
        request,
        task,
        modulePath,
        logs,
        executeOptions.signal,
        options.killGraceMs,
        executeOptions.context,
        secrets.values,
      );
      running.add(attempt.stopper, attempt.done);
      try {
        const settled = await attempt.done;
        return finish(toResult(settled, attempt.stopper.reason, request.taskId, task), settled.startedAt);
      } finally {
        attempt.stopper.dispose();
        running.delete(attempt.stopper);
      }
    },
    async close() {
      await running.killAll();
      await pool?.destroy();
      pool = undefined;
    },
  };
}

interface Settled {
  result?: NodeThreadResult;
  thrown?: unknown;
  startedAt: number;
}

function runInPool(
  pool: NodePool,
  request: ExecutionRequest,
  task: NodeTaskModel,
  modulePath: string,
  logs: LogSink,
  signal: AbortSignal | undefined,
  killGraceMs: number,
  context: RunContextStore | undefined,
  secrets: Readonly<Record<string, string>>,
): { stopper: AttemptStopper; done: Promise<Settled> } {
  const { port1, port2 } = new MessageChannel();
  const kill = new AbortController();
  let startedAt: number | undefined;
  const stopper = createAttemptStopper({
    signal,
    timeoutMs: task.timeoutMs,
    killGraceMs,
    onStop(reason) {
      // Still queued: there is no code to ask politely, so just drop it from the queue.
      if (startedAt === undefined) kill.abort();
      else port1.postMessage(abortMessage(reason, request.taskId));
    },
    // Piscina terminates the thread running an aborted task, busy loops included.
    onKill: () => kill.abort(),
  });
  const ended = new Promise<void>((resolveEnded) => {
    port1.on('message', (message: ThreadMessage) => {
      if (message.type === 'started') {
        startedAt = message.at;
        stopper.startClock();
      } else if (message.type === 'log') logs.push(message.stream, message.line, message.level, message.at);
      else if (message.type === 'context') {
        // Replies to a thread that has ended meanwhile go nowhere: posting on a closed port is a no-op.
        void answerContextCall(context, request.taskId, message).then((reply) => port1.postMessage(reply));
      } else resolveEnded();
    });
  });
  const threadTask: NodeThreadTask = {
    modulePath,
    exportName: task.export,
    runId: request.runId,
    taskId: request.taskId,
    attempt: request.attempt,
    params: request.params,
    inputs: request.inputs,
    env: task.env,
    secrets: { ...secrets },
    matrix: task.matrix ?? {},
    port: port2,
  };
  if (task.matrixIndex !== undefined) threadTask.matrixIndex = task.matrixIndex;
  if (task.mapIndex !== undefined) {
    threadTask.mapIndex = task.mapIndex;
    threadTask.mapItem = task.mapItem ?? null;
  }
  if (request.traceparent !== undefined) threadTask.traceparent = request.traceparent;
  const done = settle(
    pool.run(threadTask, { transferList: [port2], signal: kill.signal }),
    ended,
    port1,
  ).then((settled) => ({ ...settled, startedAt: startedAt ?? Date.now() }));
  return { stopper, done };
}

async function settle(
  run: Promise<NodeThreadResult>,
  ended: Promise<void>,
  port: MessagePort,
): Promise<Omit<Settled, 'startedAt'>> {
  try {
    const result = await run;
    await waitAtMost(ended, END_WAIT_MS);
    return { result };
  } catch (thrown) {
    return { thrown };
  } finally {
    port.close();
  }
}

function toResult(
  settled: Settled,
  reason: StopReason | undefined,
  taskId: string,
  task: NodeTaskModel,
): Omit<ExecutionResult, 'startedAt' | 'finishedAt' | 'logTail'> {
  // Once stopped, the outcome is the stop's, even if the task then returned normally.
  if (reason !== undefined) return stopResult(reason, taskId, task.timeoutMs);
  const { result } = settled;
  if (result === undefined) return { outcome: 'failed', error: threadFailure(taskId, settled.thrown) };
  if (!result.ok) return { outcome: result.skipped ? 'skipped' : 'failed', error: result.error };
  if (task.sensor === null) return { outcome: 'succeeded', output: result.output };
  // A sensor's poke: exactly false is "not yet"; true says only that the condition holds.
  if (result.output === false) return { outcome: 'rescheduled' };
  return { outcome: 'succeeded', output: result.output === true ? null : result.output };
}

function abortMessage(reason: StopReason, taskId: string): MainMessage {
  return reason === 'timeout'
    ? { type: 'abort', name: 'TimeoutError', message: `task '${taskId}' timed out` }
    : { type: 'abort', name: 'AbortError', message: `task '${taskId}' was cancelled` };
}

function threadFailure(taskId: string, thrown: unknown) {
  const failure = toFailure(thrown);
  // E.g. the task called process.exit() or ran out of memory, killing its thread.
  return { ...failure, message: `task '${taskId}' thread failed: ${failure.message}` };
}

/** The module's absolute path, or undefined when it points outside the bundle folder. */
function resolveModule(bundleDir: string, module: string): string | undefined {
  const path = resolve(bundleDir, module);
  const inside = relative(bundleDir, path);
  return inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside) ? undefined : path;
}

function escapeFailure(taskId: string, module: string) {
  return {
    type: 'TaskModuleError',
    message: `task '${taskId}': module '${module}' is outside the bundle folder`,
    retryable: false,
  };
}

async function waitAtMost(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((done) => (timer = setTimeout(done, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
