// Builders for execution requests in tests: every field filled, overridable.
import { fileURLToPath } from 'node:url';
import {
  type DagTaskModel,
  type NodeTaskModel,
  type ShellTaskModel,
  type SqlTaskModel,
  type TaskModel,
  taskDefaults,
} from '@tributary/spec';
import type { ExecutionRequest } from '../types.js';

/** This folder: the "bundle" the fixtures' node modules are loaded from. */
export const FIXTURES_DIR = fileURLToPath(new URL('.', import.meta.url));

const base = taskDefaults();

/** The request to run `model`: one attempt of run `run-1`, from the fixtures folder, overridable. */
function requestFor(model: TaskModel, request: Partial<Omit<ExecutionRequest, 'task'>>): ExecutionRequest {
  return {
    runId: 'run-1',
    taskId: model.id,
    attempt: 1,
    bundleDir: FIXTURES_DIR,
    params: {},
    inputs: {},
    logicalDate: Date.UTC(2026, 0, 2, 3, 4, 5),
    dataIntervalEnd: Date.UTC(2026, 0, 3, 3, 4, 5),
    ...request,
    task: model,
  };
}

export function nodeRequest(
  task: Partial<NodeTaskModel> = {},
  request: Partial<Omit<ExecutionRequest, 'task'>> = {},
): ExecutionRequest {
  const model: NodeTaskModel = {
    ...base,
    id: 'transform',
    kind: 'node',
    module: './node-tasks.ts',
    export: 'run',
    ...task,
  };
  return requestFor(model, request);
}

export function shellRequest(
  command: string,
  task: Partial<ShellTaskModel> = {},
  request: Partial<Omit<ExecutionRequest, 'task'>> = {},
): ExecutionRequest {
  const model: ShellTaskModel = {
    ...base,
    id: 'extract',
    kind: 'shell',
    command,
    skipExitCode: 99,
    ...task,
  };
  return requestFor(model, request);
}

export function sqlRequest(
  statement: string,
  task: Partial<SqlTaskModel> = {},
  request: Partial<Omit<ExecutionRequest, 'task'>> = {},
): ExecutionRequest {
  const model: SqlTaskModel = {
    ...base,
    id: 'query',
    kind: 'sql',
    connection: 'warehouse',
    statement,
    maxRows: 1000,
    ...task,
  };
  return requestFor(model, request);
}

export function dagRequest(
  dag: string,
  task: Partial<DagTaskModel> = {},
  request: Partial<Omit<ExecutionRequest, 'task'>> = {},
): ExecutionRequest {
  const model: DagTaskModel = { ...base, id: 'trigger', kind: 'dag', dag, params: {}, wait: true, ...task };
  return requestFor(model, request);
}
