export type {
  RunEvent,
  RunStateEvent,
  RunSummary,
  TaskLogEvent,
  TaskStateEvent,
  TaskSummary,
} from './events.js';
export type { LocalDag } from './load.js';
export {
  createLocalDagTrigger,
  type LocalChildRunner,
  type LocalDagTrigger,
  type LocalDagTriggerOptions,
  MAX_LOCAL_DAG_DEPTH,
} from './local-dag-trigger.js';
export { type LocalRunOptions, runDagLocally } from './run-dag-locally.js';
