export { createExecutor } from './executor.js';
export { DEFAULT_EXECUTOR_OPTIONS } from './options.js';
export * from './types.js';
