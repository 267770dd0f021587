import { Code, type Failure, TributaryError } from '@tributary/core';
import { type AttemptSecrets, resolveAttemptSecrets } from './attempt-secrets.js';
import { createContainerExecutor } from './container-executor.js';
import { renderContainerTemplates } from './container-templates.js';
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
 * tasks trigger (and wait for) a child run through `options.dags`; container tasks run an image through
 * the container engine at `options.containerSocket` (Docker, or Podman's compatible service).
 * Sensors are poked through the same kind executors (see {@link runSensor}).
 * The secrets a task names are resolved with `options.secrets` before anything runs (a missing one
 * fails the attempt with `SecretNotConfigured`, not retryable) and masked (`***`) in the attempt's log
 * lines and error, as is the password of a sql task's connection.
 * Throws an `InvalidArgument` error naming the field when an option is invalid.
 */
export function createExecutor(options: ExecutorOptions = {}): TaskExecutor {
  const compiled = compileExecutorOptions(options);
  const node = createNodeExecutor(compiled);
  const shell = createShellExecutor(compiled);
  const sql = createSqlExecutor(compiled);
  const dag = createDagExecutor(compiled);
  const container = createContainerExecutor(compiled);
  const closing = new AbortController();
  const runOnce = (
    request: ExecutionRequest,
    executeOptions: ExecuteOptions,
    secrets: AttemptSecrets,
  ): Promise<ExecutionResult> => {
    const { task } = request;
    switch (task.kind) {
      case 'node':
        return node.execute(request, task, executeOptions, secrets);
      case 'shell':
        return shell.execute(request, task, executeOptions, secrets);
      case 'sql':
        return sql.execute(request, task, executeOptions, secrets);
      case 'dag':
        return dag.execute(request, task, executeOptions);
      case 'container':
        return container.execute(request, task, executeOptions, secrets);
      default:
        return Promise.resolve(unsupportedKind(task));
    }
  };
  return {
    async execute(request, executeOptions = {}) {
      if (closing.signal.aborted) throw new TributaryError(Code.FailedPrecondition, 'the executor is closed');
      const rendered = renderTemplates(request);
      if ('outcome' in rendered) return rendered;
      const secrets = resolveAttemptSecrets(
        rendered.task,
        request.taskId,
        compiled.secrets,
        compiled.connections,
      );
      if (!('values' in secrets)) return failedAtOnce(secrets);
      const { sensor } = rendered.task;
      if (sensor === null) return runOnce(rendered, executeOptions, secrets);
      // Each poke sees the run context too (a node sensor may read it, a shell sensor's snapshot is fresh).
      const { context } = executeOptions;
      return runSensor((pokeOptions) => runOnce(rendered, { ...pokeOptions, context }, secrets), {
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
      await Promise.all([node.close(), shell.close(), sql.close(), dag.close(), container.close()]);
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
  if (kind !== 'node' && kind !== 'shell' && kind !== 'sql' && kind !== 'dag' && kind !== 'container') {
    return request;
  }
  try {
    const task = renderTaskTemplates(request);
    if (task.kind !== 'container') return { ...request, task };
    return { ...request, task: renderContainerTemplates(request, task) };
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    return failedAtOnce(templateFailure(error));
  }
}

/** An attempt that fails before it starts: nothing ran, nothing was logged. */
function failedAtOnce(error: Failure): ExecutionResult {
  const now = Date.now();
  return { outcome: 'failed', error, startedAt: now, finishedAt: now, logTail: [] };
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
