import { Code, TributaryError } from '@tributary/core';
import { createDagExecutor } from './dag-executor.js';
import { createNodeExecutor } from './node-executor.js';
import { compileExecutorOptions } from './options.js';
import { renderTaskTemplates, TemplateError, templateFailure } from './render-templates.js';
import { runSensor } from './sensor.js';
import { createShellExecutor } from './shell-executor.js';
import { createSqlExecutor } from './sql-executor.js';
import type {
  ExecuteOptions,
  ExecutionRequest,
  ExecutionResult,
  ExecutorOptions,
  TaskExecutor,
} from './types.js';

/**
 * An executor for every task kind, dispatching on `task.kind`. Node tasks run in a piscina thread
 * pool created on the first node task; shell tasks run as `/bin/sh -c` in their own process group;
 * sql tasks run their statement on a connection of their own, resolved by `options.connections`; dag
 * tasks trigger (and wait for) a child run through `options.dags`.
 * Sensors are poked through the same kind executors (see {@link runSensor}).
 * Throws an `InvalidArgument` error naming the field when an option is invalid.
 */
export function createExecutor(options: ExecutorOptions = {}): TaskExecutor {
  const compiled = compileExecutorOptions(options);
  const node = createNodeExecutor(compiled);
  const shell = createShellExecutor(compiled);
  const sql = createSqlExecutor(compiled);
  const dag = createDagExecutor(compiled);
  const closing = new AbortController();
  const runOnce = (request: ExecutionRequest, executeOptions: ExecuteOptions): Promise<ExecutionResult> => {
    const { task } = request;
    switch (task.kind) {
      case 'node':
        return node.execute(request, task, executeOptions);
      case 'shell':
        return shell.execute(request, task, executeOptions);
      case 'sql':
        return sql.execute(request, task, executeOptions);
      case 'dag':
        return dag.execute(request, task, executeOptions);
      default:
        return Promise.resolve(unsupportedKind(task));
    }
  };
  return {
    async execute(request, executeOptions = {}) {
      if (closing.signal.aborted) throw new TributaryError(Code.FailedPrecondition, 'the executor is closed');
      const rendered = renderTemplates(request);
      if ('outcome' in rendered) return rendered;
      const { sensor } = rendered.task;
      if (sensor === null) return runOnce(rendered, executeOptions);
      // Each poke sees the run context too (a node sensor may read it, a shell sensor's snapshot is fresh).
      const { context } = executeOptions;
      return runSensor((pokeOptions) => runOnce(rendered, { ...pokeOptions, context }), {
        taskId: request.taskId,
        sensor,
        signal: executeOptions.signal,
        closeSignal: closing.signal,
        onLog: executeOptions.onLog,
        logTailLines: compiled.logTailLines,
      });
    },
    async close() {
      // First: a sensor between pokes must not start another poke once the kind executors are closing.
      closing.abort();
      await Promise.all([node.close(), shell.close(), sql.close(), dag.close()]);
    },
  };
}

/**
 * The request with its task's templates rendered, or the failed result when one cannot be: the task's
 * process never starts with a half-rendered command.
 */
function renderTemplates(request: ExecutionRequest): ExecutionRequest | ExecutionResult {
  // A kind this build does not know fails as such, whatever its templates say.
  const { kind } = request.task;
  if (kind !== 'node' && kind !== 'shell' && kind !== 'sql' && kind !== 'dag') return request;
  try {
    return { ...request, task: renderTaskTemplates(request) };
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    const now = Date.now();
    return { outcome: 'failed', error: templateFailure(error), startedAt: now, finishedAt: now, logTail: [] };
  }
}

/** A kind this build does not know (e.g. sent by a newer coordinator): the attempt fails, the worker lives. */
function unsupportedKind(task: { id: string; kind: string }): ExecutionResult {
  const now = Date.now();
  return {
    outcome: 'failed',
    error: {
      type: 'UnsupportedTaskKind',
      message: `task '${task.id}': this worker cannot run tasks of kind '${task.kind}'`,
      retryable: false,
    },
    startedAt: now,
    finishedAt: now,
    logTail: [],
  };
}
