export { connectBus, DEFAULT_TASK_ACK_WAIT_MS } from './bus.js';
export { encodeTaskMessage } from './codec.js';
export { NATS_AUTH_ENV, type NatsAuth, natsAuthFromEnv } from './nats-auth.js';
export {
  isOutputRef,
  OUTPUT_REF_KEY,
  type OutputRef,
  type OutputRefTarget,
  outputRefName,
  sha256Hex,
} from './outputs.js';
export { RUN_CONTEXT_READ_LIMIT } from './run-context.js';
export { DEFAULT_PREFIX, subjectToken, taskMessageId } from './subjects.js';
export { DEFAULT_LOG_IDLE_CHECK_MS } from './task-log-reader.js';
export {
  DEFAULT_LOG_BATCH_BYTES,
  DEFAULT_LOG_BUFFERED_BYTES,
  DEFAULT_LOG_FLUSH_INTERVAL_MS,
} from './task-log-writer.js';
export { DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_RETENTION_MS, EVENTS_ACK_WAIT_MS } from './topology.js';
export {
  minimalSubjects,
  subjectCovers,
  subjectMatches,
  subjectsCollide,
  triggerSubjectProblem,
} from './trigger-subjects.js';
export type {
  AttemptRef,
  BundleStore,
  Bus,
  BusOptions,
  BusSubjects,
  CancelNoticeInit,
  ConsumeTasksOptions,
  ConsumeTriggerEventsOptions,
  ConsumeWorkerEventsOptions,
  HeartbeatInit,
  LogStreamLimits,
  OutgoingTask,
  OutputStore,
  PublishWorkerEventOptions,
  ReadTaskLogsOptions,
  ReceivedWorkerEvent,
  RunContextBucket,
  RunContextStoreOnBus,
  RunContextView,
  TaskDelivery,
  TaskLogBatchInit,
  TaskLogEntry,
  TaskLogWriter,
  TaskLogWriterOptions,
  TaskOrder,
  TriggerMessage,
  WorkerEventInit,
} from './types.js';
