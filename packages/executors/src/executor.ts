import { Code, TributaryError } from '@tributary/core';
import { createNodeExecutor } from './node-executor.js';
import { compileExecutorOptions } from './options.js';
import { createShellExecutor } from './shell-executor.js';
import type { ExecutionResult, ExecutorOptions, TaskExecutor } from './types.js';

/**
 * An executor for every task kind, dispatching on `task.kind`. Node tasks run in a piscina thread
 * pool created on the first node task; shell tasks run as `/bin/sh -c` in their own process group.
 * Throws an `InvalidArgument` error naming the field when an option is invalid.
 */
export function createExecutor(options: ExecutorOptions = {}): TaskExecutor {
  const compiled = compileExecutorOptions(options);
  const node = createNodeExecutor(compiled);
  const shell = createShellExecutor(compiled);
  let closed = false;
  return {
    async execute(request, executeOptions) {
      if (closed) throw new TributaryError(Code.FailedPrecondition, 'the executor is closed');
      const { task } = request;
      switch (task.kind) {
        case 'node':
          return node.execute(request, task, executeOptions);
        case 'shell':
          return shell.execute(request, task, executeOptions);
        default:
          return unsupportedKind(task);
      }
    },
    async close() {
      closed = true;
      await Promise.all([node.close(), shell.close()]);
    },
  };
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
