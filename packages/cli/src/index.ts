export { exitCodeFor } from './commands/run.js';
export { type CommandIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './io.js';
export {
  collectParams,
  type ParamSources,
  parseParamAssignments,
  parseParamsText,
  parseParamValue,
} from './params.js';
export { createProgram, type ProcessIo, runCli } from './program.js';
export { createJsonRenderer, eventToJson, summaryToJson } from './render/json.js';
export {
  createProgressRenderer,
  formatSummary,
  formatTaskEvent,
  type ProgressRendererOptions,
} from './render/progress.js';
export type { RunRenderer } from './render/renderer.js';
export { formatTable } from './render/table.js';
export {
  summaryFromRun,
  taskEventFromProto,
  translateWatchResponse,
  type WatchStep,
} from './watch-events.js';
