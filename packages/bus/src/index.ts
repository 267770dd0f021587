export { connectBus, DEFAULT_TASK_ACK_WAIT_MS } from './bus.js';
export {
  isOutputRef,
  OUTPUT_REF_KEY,
  type OutputRef,
  type OutputRefTarget,
  outputRefName,
  sha256Hex,
} from './outputs.js';
export { RUN_CONTEXT_READ_LIMIT } from './run-context.js';
export { DEFAULT_PREFIX, taskMessageId, workerEventMsgId } from './subjects.js';
export { EVENTS_ACK_WAIT_MS } from './topology.js';
export type {
  AttemptRef,
  BundleStore,
  Bus,
  BusOptions,
  BusSubjects,
  CancelNoticeInit,
  ConsumeTasksOptions,
  ConsumeWorkerEventsOptions,
  HeartbeatInit,
  OutgoingTask,
  OutputStore,
  PublishWorkerEventOptions,
  ReceivedWorkerEvent,
  RunContextBucket,
  RunContextStoreOnBus,
  RunContextView,
  TaskDelivery,
  TaskMessageInit,
  WorkerEventInit,
} from './types.js';
