import { create } from '@bufbuild/protobuf';
import type { WorkerRow } from '@tributary/db';
import {
  timestamp,
  type Worker,
  WorkerSchema,
  type WorkerStateName,
  workerStateToProto,
} from '@tributary/proto';

/**
 * A worker's state at `now`: `stopped` when its last heartbeat said so, else `unresponsive` when that
 * heartbeat is older than the heartbeat timeout (the same rule that declares its tasks lost), else `live`.
 */
export function workerState(
  row: Pick<WorkerRow, 'stopping' | 'lastHeartbeatAt'>,
  now: number,
  heartbeatTimeoutMs: number,
): WorkerStateName {
  if (row.stopping) return 'stopped';
  return now - row.lastHeartbeatAt.getTime() > heartbeatTimeoutMs ? 'unresponsive' : 'live';
}

/** The registry's rows as `ListWorkers` answers: states as of `now`, live workers first, then by id. */
export function workerViews(rows: readonly WorkerRow[], now: number, heartbeatTimeoutMs: number): Worker[] {
  return rows
    .map((row) => ({ row, state: workerState(row, now, heartbeatTimeoutMs) }))
    .sort(
      (a, b) =>
        Number(b.state === 'live') - Number(a.state === 'live') ||
        (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0),
    )
    .map(({ row, state }) =>
      create(WorkerSchema, {
        id: row.id,
        host: row.host,
        pools: row.pools,
        concurrency: row.concurrency,
        version: row.version,
        startedAt: timestamp(row.startedAt?.getTime()),
        lastHeartbeatAt: timestamp(row.lastHeartbeatAt.getTime()),
        state: workerStateToProto(state),
        running: row.running,
      }),
    );
}
