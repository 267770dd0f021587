import { type DagSummary, millisFromTimestamp } from '@tributary/proto';
import { withClient } from '../client.js';
import { reportError } from '../errors.js';
import { type CommandIo, EXIT_OK } from '../io.js';
import { dagToJson } from '../render/run-view.js';
import { formatTable } from '../render/table.js';

/** Flags of `tributary dags`. */
export interface DagsCommandOptions {
  json?: boolean;
}

/** The table of `tributary dags`: each DAG with its latest version. */
export function formatDagsTable(dags: readonly DagSummary[]): string {
  const rows = dags.map((dag) => {
    const latest = dag.latest;
    const createdAt = millisFromTimestamp(latest?.createdAt);
    return [
      dag.name,
      latest === undefined ? '-' : String(latest.version),
      latest === undefined ? '-' : String(latest.taskCount),
      latest === undefined ? '-' : latest.bundleHash.slice(0, 12),
      createdAt === undefined ? '-' : new Date(createdAt).toISOString(),
      latest?.description ?? '',
    ];
  });
  return formatTable(['DAG', 'VERSION', 'TASKS', 'HASH', 'DEPLOYED', 'DESCRIPTION'], rows);
}

/** `tributary dags`: every registered DAG. */
export async function dagsCommand(options: DagsCommandOptions, io: CommandIo): Promise<number> {
  try {
    const dags = await withClient(io, (client) => client.listDags());
    if (options.json) io.out(`${JSON.stringify({ dags: dags.map(dagToJson) })}\n`);
    else io.out(dags.length === 0 ? 'no dags\n' : formatDagsTable(dags));
    return EXIT_OK;
  } catch (error) {
    return reportError(io, error);
  }
}
