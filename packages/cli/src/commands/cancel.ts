import { runStateFromProto } from '@tributary/proto';
import { withClient } from '../client.js';
import { reportError } from '../errors.js';
import { type CommandIo, EXIT_OK } from '../io.js';

/** Flags of `tributary cancel`. */
export interface CancelCommandOptions {
  /** Recorded with the cancellation. @default "cancelled from the command line" */
  reason?: string;
}

/** `tributary cancel <run id>`: cancels a run and prints the state it is in now. */
export async function cancelCommand(
  runId: string,
  options: CancelCommandOptions,
  io: CommandIo,
): Promise<number> {
  try {
    const run = await withClient(io, (client) =>
      client.cancelRun(runId, options.reason ?? 'cancelled from the command line'),
    );
    io.out(`${run.id}: ${runStateFromProto(run.state)}\n`);
    return EXIT_OK;
  } catch (error) {
    return reportError(io, error);
  }
}
