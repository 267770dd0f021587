// Task-author types live in the sdk; re-exported so that imports from this package keep working.
export type { LogLevel, NodeTaskContext, TaskLogger } from '@tributary/sdk';
export { createExecutor } from './executor.js';
export { DEFAULT_EXECUTOR_OPTIONS } from './options.js';
export { sensorTimeoutFailure } from './sensor.js';
export * from './types.js';
