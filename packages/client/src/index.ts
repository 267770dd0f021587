export { bundleHash, type PackedBundle, packDagFolder } from './bundle.js';
export {
  type BackfillOptions,
  type ClearTasksOptions,
  type ClientOptions,
  createClient,
  DEFAULT_SERVER_ADDRESS,
  type ListRejectedEventsOptions,
  type ListRunsOptions,
  type ListWorkersOptions,
  type StreamTaskLogsOptions,
  type TributaryClient,
  type TriggerRunOptions,
} from './client.js';
export type { HealthStatus } from './health.js';
export { openTransport, type Transport } from './transport.js';
