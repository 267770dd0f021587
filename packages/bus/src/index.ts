export { connectBus, DEFAULT_TASK_ACK_WAIT_MS } from './bus.js';
export { DEFAULT_PREFIX, workerEventMsgId } from './subjects.js';
export { EVENTS_ACK_WAIT_MS } from './topology.js';
export type {
  BundleStore,
  Bus,
  BusOptions,
  BusSubjects,
  CancelNoticeInit,
  ConsumeTasksOptions,
  ConsumeWorkerEventsOptions,
  HeartbeatInit,
  OutgoingTask,
  PublishWorkerEventOptions,
  ReceivedWorkerEvent,
  TaskDelivery,
  TaskMessageInit,
  WorkerEventInit,
} from './types.js';
