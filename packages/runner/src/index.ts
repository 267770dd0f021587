export type {
  RunEvent,
  RunStateEvent,
  RunSummary,
  TaskLogEvent,
  TaskStateEvent,
  TaskSummary,
} from './events.js';
export { type LocalRunOptions, runDagLocally } from './run-dag-locally.js';
