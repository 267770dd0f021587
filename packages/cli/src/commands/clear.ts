import { runStateFromProto } from '@tributary/proto';
import { withClient } from '../client.js';
import { reportError } from '../errors.js';
import { type CommandIo, EXIT_OK } from '../io.js';
import { runToJson } from '../render/run-view.js';

/** Flags of `tributary clear`. */
export interface ClearCommandOptions {
  /** Also clear every task downstream of the named ones. @default false */
  downstream?: boolean;
  /** Only clear tasks that ended failed or upstream_failed. @default false */
  failedOnly?: boolean;
  /** Print `{ cleared, run }` as JSON. @default false */
  json?: boolean;
}

/**
 * `tributary clear <run id> <task...>`: resets finished tasks to run again within the run (a finished
 * run runs again) and prints what was cleared and the state the run is in now.
 */
export async function clearCommand(
  runId: string,
  taskIds: readonly string[],
  options: ClearCommandOptions,
  io: CommandIo,
): Promise<number> {
  try {
    const { run, clearedTaskIds } = await withClient(io, (client) =>
      client.clearTasks(runId, taskIds, {
        downstream: options.downstream === true,
        failedOnly: options.failedOnly === true,
      }),
    );
    if (options.json) {
      io.out(`${JSON.stringify({ cleared: clearedTaskIds, run: runToJson(run) })}\n`);
      return EXIT_OK;
    }
    io.out(
      clearedTaskIds.length === 0
        ? `nothing to clear: no ${options.failedOnly ? 'failed' : 'finished'} task among those named\n`
        : `cleared ${clearedTaskIds.length} ${clearedTaskIds.length === 1 ? 'task' : 'tasks'}: ${clearedTaskIds.join(', ')}\n`,
    );
    io.out(`${run.id}: ${runStateFromProto(run.state)}\n`);
    return EXIT_OK;
  } catch (error) {
    return reportError(io, error);
  }
}
