export { formatBytes, GIB, KIB, MIB, parseByteSize } from './byte-size.js';
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
export { instanceId, parseInstanceId } from './instance-id.js';
export type { JsonObject, JsonValue } from './json.js';
export type { Logger } from './logger.js';
export {
  DEFAULT_OUTPUT_MAX_BYTES,
  encodeJson,
  jsonByteLength,
  outputTooLargeFailure,
} from './output-size.js';
export {
  ATTEMPT_STATES,
  type AttemptState,
  DEFAULT_TRIGGER_RULE,
  isTerminalRunState,
  isTerminalTaskState,
  RUN_STATES,
  RUN_TYPES,
  type RunState,
  type RunType,
  TASK_STATES,
  type TaskState,
  TRIGGER_RULES,
  type TriggerRule,
} from './states.js';
