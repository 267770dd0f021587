import type { JsonObject } from '@tributary/core';
import { millisFromTimestamp, type Worker, workerStateFromProto } from '@tributary/proto';

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/** How long before `now` an instant was, coarsely: `3s ago`, `5m ago`, `2h ago`, `4d ago`; `-` when unknown. */
export function formatAgo(ms: number | undefined, now: number): string {
  if (ms === undefined) return '-';
  const seconds = Math.floor(Math.max(0, now - ms) / 1000);
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3_600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

/** A worker as `--json` output: snake_case keys, ISO times, the state by name. */
export function workerToJson(worker: Worker): JsonObject {
  return {
    id: worker.id,
    state: workerStateFromProto(worker.state),
    host: worker.host,
    pools: [...worker.pools],
    concurrency: worker.concurrency,
    running_count: worker.running.length,
    running: worker.running.map((ref) => ({ run_id: ref.runId, task_id: ref.taskId, attempt: ref.attempt })),
    version: worker.version,
    started_at: iso(millisFromTimestamp(worker.startedAt)),
    last_heartbeat_at: iso(millisFromTimestamp(worker.lastHeartbeatAt)),
  };
}
