import type { JsonObject } from '@tributary/core';
import { withoutProcessCredentials } from './secrets.js';
import type { ExecutionRequest } from './types.js';

/**
 * `extract-v2` -> `TRIBUTARY_INPUT_EXTRACT_V2`, and a matrix instance `load[0]` -> `TRIBUTARY_INPUT_LOAD_0_`
 * (each character that is not a letter or digit becomes `_`, brackets included). Ids differing only in
 * punctuation share a name; `TRIBUTARY_INPUTS` holds every input by its exact id.
 */
export function inputVariableName(taskId: string): string {
  return `TRIBUTARY_INPUT_${taskId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * The longest JSON value put in one variable. Linux refuses to start a process with a variable over
 * 128 KiB (E2BIG); larger inputs are read from `TRIBUTARY_INPUTS_FILE` instead.
 */
export const MAX_ENV_JSON_LENGTH = 64 * 1024;

/**
 * A shell task's environment: the base environment, then the task's own `env`, then the
 * `TRIBUTARY_*` variables (which a task cannot shadow), then `TRACEPARENT` when the attempt is traced.
 * `TRIBUTARY_CONTEXT` is `context` as JSON: the run context when the task started, read-only (a shell
 * task cannot set keys). A matrix instance also gets `TRIBUTARY_MATRIX` (its values as JSON) and
 * `TRIBUTARY_MATRIX_INDEX`; an instance of a mapped task gets `TRIBUTARY_MAP_INDEX` (decimal) and
 * `TRIBUTARY_MAP_ITEM` (its element as JSON; like an input, left out when longer than
 * {@link MAX_ENV_JSON_LENGTH}, so that the process can start: the element is still in the upstream
 * output, at `TRIBUTARY_MAP_INDEX` of the list that `map.over` names). The base environment's sql
 * connection URLs (`TRIBUTARY_CONNECTION_*`, passwords included) and secrets (`TRIBUTARY_SECRET_*`) are
 * left out: a task gets only the secrets it names, as `taskEnv` entries of their own names.
 * `TRIBUTARY_INPUTS_FILE`, when given, names a file holding every input as JSON; an input (or all of
 * them, `TRIBUTARY_INPUTS`) longer than {@link MAX_ENV_JSON_LENGTH} as JSON is only in that file.
 */
export function buildShellEnv(
  base: Readonly<Record<string, string | undefined>>,
  request: ExecutionRequest,
  taskEnv: Record<string, string>,
  context: JsonObject = {},
  inputsFile?: string,
): Record<string, string> {
  const env = withoutProcessCredentials(base);
  Object.assign(env, taskEnv);
  env.TRIBUTARY_RUN_ID = request.runId;
  env.TRIBUTARY_TASK_ID = request.taskId;
  env.TRIBUTARY_ATTEMPT = String(request.attempt);
  // The data interval the run covers, as templates show it (ISO 8601, UTC).
  env.TRIBUTARY_LOGICAL_DATE = new Date(request.logicalDate).toISOString();
  env.TRIBUTARY_DATA_INTERVAL_START = env.TRIBUTARY_LOGICAL_DATE;
  env.TRIBUTARY_DATA_INTERVAL_END = new Date(request.dataIntervalEnd ?? request.logicalDate).toISOString();
  env.TRIBUTARY_PARAMS = JSON.stringify(request.params);
  const setJson = (name: string, json: string) => {
    if (json.length <= MAX_ENV_JSON_LENGTH) env[name] = json;
  };
  setJson('TRIBUTARY_INPUTS', JSON.stringify(request.inputs));
  if (inputsFile !== undefined) env.TRIBUTARY_INPUTS_FILE = inputsFile;
  if (request.task.matrix !== undefined) env.TRIBUTARY_MATRIX = JSON.stringify(request.task.matrix);
  if (request.task.matrixIndex !== undefined) env.TRIBUTARY_MATRIX_INDEX = String(request.task.matrixIndex);
  if (request.task.mapIndex !== undefined) {
    env.TRIBUTARY_MAP_INDEX = String(request.task.mapIndex);
    setJson('TRIBUTARY_MAP_ITEM', JSON.stringify(request.task.mapItem ?? null));
  }
  env.TRIBUTARY_CONTEXT = JSON.stringify(context);
  for (const [taskId, output] of Object.entries(request.inputs)) {
    setJson(inputVariableName(taskId), JSON.stringify(output));
  }
  if (request.traceparent !== undefined) env.TRACEPARENT = request.traceparent;
  return env;
}
