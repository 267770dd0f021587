import { type DagSummary, millisFromTimestamp } from '@tributary/proto';
import { withClient } from '../client.js';
import { reportError } from '../errors.js';
import { type CommandIo, EXIT_OK } from '../io.js';
import { formatInstant } from '../render/run-view.js';

/**
 * The line `tributary pause` / `unpause` prints: `paused etl`, `unpaused etl; next run
 * 2024-01-02T00:00:00Z` (the next run left out when the DAG has no schedule, or it has ended).
 */
export function formatPauseResult(dag: DagSummary): string {
  if (dag.paused) return `paused ${dag.name}\n`;
  const next = millisFromTimestamp(dag.schedule?.nextRunAt);
  return next === undefined
    ? `unpaused ${dag.name}\n`
    : `unpaused ${dag.name}; next run ${formatInstant(next)}\n`;
}

/**
 * `tributary pause <dag>` and `tributary unpause <dag>`: stops (or resumes) the DAG's scheduled, event
 * and `after` runs. Runs in flight go on; triggers and backfills work either way.
 */
export async function pauseCommand(dag: string, paused: boolean, io: CommandIo): Promise<number> {
  try {
    const summary = await withClient(io, (client) => client.setDagPaused(dag, paused));
    io.out(formatPauseResult(summary));
    return EXIT_OK;
  } catch (error) {
    return reportError(io, error);
  }
}
