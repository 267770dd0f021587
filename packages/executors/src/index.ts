// Task-author types live in the sdk; re-exported so that imports from this package keep working.
export type { LogLevel, NodeTaskContext, RunContext, TaskLogger } from '@tributary/sdk';
export {
  CONNECTION_ENV_PREFIX,
  type ConnectionResolverOptions,
  connectionEnvName,
  createConnectionResolver,
} from './connections.js';
export { CONTAINER_LABELS, type RemoveOrphansOptions, removeOrphanContainers } from './container-orphans.js';
export type { DagTaskOutput } from './dag-executor.js';
export { createExecutor } from './executor.js';
export { DEFAULT_EXECUTOR_OPTIONS } from './options.js';
export {
  assertContextKey,
  CONTEXT_KEY_MAX_LENGTH,
  CONTEXT_VALUE_MAX_BYTES,
  checkContextValue,
  createMemoryContextStore,
  type MemoryContextStore,
  readWholeContext,
} from './run-context.js';
export { MIN_MASKED_SECRET_LENGTH, SECRET_MASK } from './secret-mask.js';
export {
  createSecretResolver,
  SECRET_ENV_PREFIX,
  type SecretResolverOptions,
  secretEnvName,
} from './secrets.js';
export { sensorTimeoutFailure } from './sensor.js';
export type { SqlOutput } from './sql-executor.js';
export * from './types.js';
