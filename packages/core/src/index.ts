export { Code, codeName } from './code.js';
export { formatDuration, HOUR, MINUTE, SECOND } from './duration.js';
export {
  formatProblem,
  type Problem,
  type SourcePosition,
  TributaryError,
  type TributaryErrorOptions,
} from './error.js';
export { type Failure, isFailure, toFailure } from './failure.js';
export type { JsonObject, JsonValue } from './json.js';
export { createJsonLogger, type Logger } from './logger.js';
export {
  ATTEMPT_STATES,
  type AttemptState,
  isTerminalRunState,
  isTerminalTaskState,
  RUN_STATES,
  type RunState,
  TASK_STATES,
  type TaskState,
} from './states.js';
