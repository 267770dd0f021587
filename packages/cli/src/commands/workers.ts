import { millisFromTimestamp, type Worker, workerStateFromProto } from '@tributary/proto';
import { withClient } from '../client.js';
import { reportError } from '../errors.js';
import { type CommandIo, EXIT_OK } from '../io.js';
import { formatTable } from '../render/table.js';
import { formatAgo, workerToJson } from '../render/worker-view.js';

/** Flags of `tributary workers`. */
export interface WorkersCommandOptions {
  /** Only workers serving this pool. */
  pool?: string;
  json?: boolean;
}

/** The table of `tributary workers`, in the server's order (live first, then by id). */
export function formatWorkersTable(workers: readonly Worker[], now: number = Date.now()): string {
  const rows = workers.map((worker) => {
    const startedAt = millisFromTimestamp(worker.startedAt);
    return [
      worker.id,
      workerStateFromProto(worker.state),
      worker.host || '-',
      worker.pools.join(',') || '-',
      `${worker.running.length}/${worker.concurrency}`,
      worker.version || '-',
      startedAt === undefined ? '-' : new Date(startedAt).toISOString(),
      formatAgo(millisFromTimestamp(worker.lastHeartbeatAt), now),
    ];
  });
  return formatTable(
    ['WORKER', 'STATE', 'HOST', 'POOLS', 'RUNNING', 'VERSION', 'STARTED', 'LAST HEARTBEAT'],
    rows,
  );
}

/** `tributary workers`: the workers the coordinator heard from lately, and what they run. */
export async function workersCommand(options: WorkersCommandOptions, io: CommandIo): Promise<number> {
  try {
    const workers = await withClient(io, (client) =>
      client.listWorkers(options.pool === undefined ? {} : { pool: options.pool }),
    );
    if (options.json) {
      io.out(`${JSON.stringify({ workers: workers.map(workerToJson) })}\n`);
      return EXIT_OK;
    }
    io.out(workers.length === 0 ? 'no workers\n' : formatWorkersTable(workers));
    return EXIT_OK;
  } catch (error) {
    return reportError(io, error);
  }
}
