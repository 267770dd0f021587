import { millisFromTimestamp, type Run, runStateFromProto } from '@tributary/proto';
import { withClient } from '../client.js';
import { reportError } from '../errors.js';
import { type CommandIo, EXIT_OK } from '../io.js';
import { formatCounts, formatSpan, runToJson } from '../render/run-view.js';
import { formatTable } from '../render/table.js';

/** Flags of `tributary runs`. */
export interface RunsCommandOptions {
  /** Runs per page. @default 50 (the server's) */
  limit?: number;
  pageToken?: string;
  json?: boolean;
}

/** The table of `tributary runs`, newest first as the server lists them. */
export function formatRunsTable(runs: readonly Run[], now: number = Date.now()): string {
  const rows = runs.map((run) => {
    const createdAt = millisFromTimestamp(run.createdAt);
    return [
      run.id,
      run.dag,
      String(run.dagVersion),
      runStateFromProto(run.state),
      createdAt === undefined ? '-' : new Date(createdAt).toISOString(),
      formatSpan(createdAt, millisFromTimestamp(run.finishedAt), now),
      formatCounts(run.taskCounts),
    ];
  });
  return formatTable(['RUN', 'DAG', 'VERSION', 'STATE', 'CREATED', 'DURATION', 'TASKS'], rows);
}

/** `tributary runs [dag]`: one page of runs, and the token of the next page when there is one. */
export async function runsCommand(
  dag: string | undefined,
  options: RunsCommandOptions,
  io: CommandIo,
): Promise<number> {
  try {
    const page = await withClient(io, (client) =>
      client.listRuns({
        ...(dag === undefined ? {} : { dag }),
        ...(options.limit === undefined ? {} : { pageSize: options.limit }),
        ...(options.pageToken === undefined ? {} : { pageToken: options.pageToken }),
      }),
    );
    if (options.json) {
      const json = { runs: page.runs.map(runToJson), next_page_token: page.nextPageToken || null };
      io.out(`${JSON.stringify(json)}\n`);
      return EXIT_OK;
    }
    io.out(page.runs.length === 0 ? 'no runs\n' : formatRunsTable(page.runs));
    if (page.nextPageToken) io.out(`more: --page-token ${page.nextPageToken}\n`);
    return EXIT_OK;
  } catch (error) {
    return reportError(io, error);
  }
}
