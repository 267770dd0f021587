export {
  PARAMS_FORMATS,
  type ParamsCommandOptions,
  type ParamsFormat,
  paramsJsonSchema,
} from './commands/params.js';
export { exitCodeFor } from './commands/run.js';
export { type CommandIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './io.js';
export {
  type CollectedParams,
  collectParams,
  gatherParams,
  type ParamSources,
  parseParamAssignments,
  parseParamsText,
  parseParamValue,
} from './params.js';
export { type ParamLocator, type ParamsFile, parseParamsFile, placeParamProblems } from './params-file.js';
export { createProgram, type ProcessIo, runCli } from './program.js';
export { createJsonRenderer, eventToJson, summaryToJson } from './render/json.js';
export { type ParamsFormOptions, renderParamsForm } from './render/params-form.js';
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
