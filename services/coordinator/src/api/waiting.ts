import type { WorkerRow } from '@tributary/db';
import { workerState } from './worker-view.js';

/** The pools served by at least one worker that is live at `now` (by the rule `ListWorkers` shows). */
export function livePools(
  rows: readonly Pick<WorkerRow, 'pools' | 'stopping' | 'lastHeartbeatAt'>[],
  now: number,
  heartbeatTimeoutMs: number,
): Set<string> {
  const pools = new Set<string>();
  for (const row of rows) {
    if (workerState(row, now, heartbeatTimeoutMs) !== 'live') continue;
    for (const pool of row.pools) pools.add(pool);
  }
  return pools;
}

/**
 * Why a queued task is not starting, for `TaskInstance.waiting`: `queued: no live worker in pool gpu
 * (waited 42s)`. Whole seconds under a minute, then `2m05s`, `1h03m`.
 */
export function noLiveWorkerText(pool: string, waitedMs: number): string {
  return `queued: no live worker in pool ${pool} (waited ${formatWaited(Math.max(0, waitedMs))})`;
}

function formatWaited(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
