import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { toFailure } from '@tributary/core';
import type { NodeTaskModel } from '@tributary/spec';
import { type AttemptSecrets, NO_SECRETS } from './attempt-secrets.js';
import { InFlightAttempts, startAttempt } from './attempt-start.js';
import type { LogSink } from './log-sink.js';
import { answerContextCall } from './node-context-calls.js';
import { createNodePool, type NodePool } from './node-pool.js';
import type { MainMessage, NodeThreadResult, NodeThreadTask } from './node-protocol.js';
import { createThreadPorts, type ThreadPorts } from './node-thread-ports.js';
import { type AttemptStopper, createAttemptStopper, type StopReason, stopResult } from './stopper.js';
import type {
  ExecuteOptions,
  ExecutionRequest,
  ExecutionResult,
  ExecutorOptions,
  RunContextStore,
} from './types.js';

/** How long to wait for a finished thread's last messages, which travel on another port than its result. */
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
  let ports: ThreadPorts | undefined;
  const running = new InFlightAttempts();
  const resolveModule = rememberLastModule();
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
      if (pool === undefined || ports === undefined) {
        pool = createNodePool(options.maxThreads, options.baseEnv);
        ports = createThreadPorts(pool);
      }
      const attempt = runInPool(
        pool,
        ports,
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
      ports?.close();
      pool = undefined;
      ports = undefined;
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
  ports: ThreadPorts,
  request: ExecutionRequest,
  task: NodeTaskModel,
  modulePath: string,
  logs: LogSink,
  signal: AbortSignal | undefined,
  killGraceMs: number,
  context: RunContextStore | undefined,
  secrets: Readonly<Record<string, string>>,
): { stopper: AttemptStopper; done: Promise<Settled> } {
  let startedAt: number | undefined;
  // The port of the thread running the attempt, known from its `started` message.
  let threadPort: MessagePort | undefined;
  let received = 0;
  let expected = Number.POSITIVE_INFINITY;
  let allReceived: (() => void) | undefined;
  const attemptId = ports.open((message, { port, threadId }) => {
    if (message.type === 'started') {
      startedAt = message.at;
      threadPort = port;
      run.started(threadId);
      stopper.startClock();
      return;
    }
    received++;
    if (message.type === 'log') logs.push(message.stream, message.line, message.level, message.at);
    else {
      // A reply that arrives after the attempt ended is dropped by the thread: it checks the attempt id.
      void answerContextCall(context, request.taskId, message).then((reply) =>
        port.postMessage({ ...reply, attemptId } satisfies MainMessage),
      );
    }
    if (received === expected) allReceived?.();
  });
  const stopper = createAttemptStopper({
    signal,
    timeoutMs: task.timeoutMs,
    killGraceMs,
    onStop(reason) {
      // Still queued: there is no code to ask politely, so just drop it from the queue.
      if (threadPort === undefined) run.kill();
      else threadPort.postMessage(abortMessage(reason, request.taskId, attemptId));
    },
    // Terminates the thread running the task, busy loops included.
    onKill: () => run.kill(),
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
    attemptId,
  };
  if (task.matrixIndex !== undefined) threadTask.matrixIndex = task.matrixIndex;
  if (task.mapIndex !== undefined) {
    threadTask.mapIndex = task.mapIndex;
    threadTask.mapItem = task.mapItem ?? null;
  }
  if (request.traceparent !== undefined) threadTask.traceparent = request.traceparent;
  const settled = (outcome: Omit<Settled, 'startedAt'>, at = startedAt ?? Date.now()): Settled => {
    ports.forget(attemptId);
    return { ...outcome, startedAt: at };
  };
  // The result and the attempt's messages travel on different ports: a result may overtake the last log
  // lines, so wait for as many messages as the thread says it sent (bounded, should one never come).
  const allArrived = (sent: number): Promise<void> =>
    waitAtMost(
      new Promise<void>((resolveAll) => {
        expected = sent;
        allReceived = resolveAll;
      }),
      END_WAIT_MS,
    );
  const run = pool.run(threadTask);
  const done = run.result.then(
    (result): Settled | Promise<Settled> =>
      received >= result.sent
        ? settled({ result }, result.startedAt)
        : allArrived(result.sent).then(() => settled({ result }, result.startedAt)),
    (thrown: unknown): Settled => settled({ thrown }),
  );
  return { stopper, done };
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

function abortMessage(reason: StopReason, taskId: string, attemptId: number): MainMessage {
  return reason === 'timeout'
    ? { type: 'abort', attemptId, name: 'TimeoutError', message: `task '${taskId}' timed out` }
    : { type: 'abort', attemptId, name: 'AbortError', message: `task '${taskId}' was cancelled` };
}

function threadFailure(taskId: string, thrown: unknown) {
  const failure = toFailure(thrown);
  // E.g. the task called process.exit() or ran out of memory, killing its thread.
  return { ...failure, message: `task '${taskId}' thread failed: ${failure.message}` };
}

/**
 * {@link modulePathIn}, remembering its last answer: attempts mostly run the module the one before ran.
 * Only for an absolute folder, as a relative one depends on the working directory.
 */
function rememberLastModule(): (bundleDir: string, module: string) => string | undefined {
  let last: { bundleDir: string; module: string; path: string | undefined } | undefined;
  return (bundleDir, module) => {
    if (last !== undefined && last.bundleDir === bundleDir && last.module === module) return last.path;
    const path = modulePathIn(bundleDir, module);
    last = isAbsolute(bundleDir) ? { bundleDir, module, path } : undefined;
    return path;
  };
}

/** The module's absolute path, or undefined when it points outside the bundle folder. */
function modulePathIn(bundleDir: string, module: string): string | undefined {
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
