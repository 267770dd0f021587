import { DEFAULT_TRIGGER_RULE } from '@tributary/core';
import { DEFAULT_POOL } from './fields.js';
import type { TaskModelBase } from './model.js';

/** What every task gets for a field that neither it nor `defaults:` sets (exponential backoff also turns jitter on). */
export type TaskDefaults = Omit<
  TaskModelBase,
  'id' | 'kind' | 'description' | 'matrix' | 'matrixIndex' | 'mapIndex' | 'mapItem'
>;

/**
 * The built-in defaults of the fields every task kind has, in one place: the spec compiler falls back
 * to them, and tests build compiled tasks from them. A fresh object each time (`needs`, `env` and
 * `secrets` are mutable).
 */
export function taskDefaults(): TaskDefaults {
  return {
    needs: [],
    retries: 0,
    retryDelayMs: 0,
    retryBackoff: 'fixed',
    maxRetryDelayMs: null,
    retryJitter: false,
    triggerRule: DEFAULT_TRIGGER_RULE,
    branch: false,
    sensor: null,
    timeoutMs: null,
    queueTimeoutMs: null,
    heartbeatTimeoutMs: null,
    pool: DEFAULT_POOL,
    env: {},
    secrets: [],
    map: null,
  };
}
