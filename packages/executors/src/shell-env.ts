import type { ExecutionRequest } from './types.js';

/** `extract-v2` -> `TRIBUTARY_INPUT_EXTRACT_V2`. Ids differing only in punctuation share a name. */
export function inputVariableName(taskId: string): string {
  return `TRIBUTARY_INPUT_${taskId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * A shell task's environment: the base environment, then the task's own `env`, then the
 * `TRIBUTARY_*` variables (which a task cannot shadow), then `TRACEPARENT` when the attempt is traced.
 */
export function buildShellEnv(
  base: Readonly<Record<string, string | undefined>>,
  request: ExecutionRequest,
  taskEnv: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined) env[name] = value;
  Object.assign(env, taskEnv);
  env.TRIBUTARY_RUN_ID = request.runId;
  env.TRIBUTARY_TASK_ID = request.taskId;
  env.TRIBUTARY_ATTEMPT = String(request.attempt);
  env.TRIBUTARY_PARAMS = JSON.stringify(request.params);
  env.TRIBUTARY_INPUTS = JSON.stringify(request.inputs);
  for (const [taskId, output] of Object.entries(request.inputs)) {
    env[inputVariableName(taskId)] = JSON.stringify(output);
  }
  if (request.traceparent !== undefined) env.TRACEPARENT = request.traceparent;
  return env;
}
