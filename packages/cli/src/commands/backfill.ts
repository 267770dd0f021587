import { setTimeout as sleep } from 'node:timers/promises';
import type { TributaryClient } from '@tributary/client';
import { Code, isTerminalRunState, type RunState, TributaryError } from '@tributary/core';
import { type BackfillRun, runStateFromProto } from '@tributary/proto';
import { withClient } from '../client.js';
import { reportError } from '../errors.js';
import { type CommandIo, EXIT_FAILED, EXIT_OK } from '../io.js';
import {
  backfillRunToJson,
  formatBackfillProgress,
  formatBackfillRuns,
  tallyStates,
} from '../render/backfill-view.js';
import { createPalette } from '../render/colors.js';
import { formatInstant } from '../render/run-view.js';
import { exitCodeFor } from './run.js';

/** How often `tributary backfill` asks for the state of its unfinished runs. */
export const DEFAULT_BACKFILL_POLL_MS = 1000;

/** Flags of `tributary backfill`, the dates already parsed to epoch milliseconds. */
export interface BackfillCommandOptions {
  /** The first logical date of the range, included. */
  from: number;
  /** The last logical date of the range, included. */
  to: number;
  /** Clear the failed tasks of the range's failed runs so that they run again. @default false */
  rerunFailed?: boolean;
  /** Follow the runs until every one has finished (commander sets false for `--no-wait`). @default true */
  wait?: boolean;
  /** JSON lines instead of tables and progress lines. @default false */
  json?: boolean;
  /** Time between two polls of the unfinished runs. @default DEFAULT_BACKFILL_POLL_MS */
  pollIntervalMs?: number;
}

/**
 * `tributary backfill <dag> --from <date> --to <date>`: creates the runs of the DAG's schedule for the
 * range and, unless `--no-wait`, follows them to their end: exit 0 when every run succeeded, 1 when any
 * did not. The range is checked before the server is called (exit 2).
 */
export async function backfillCommand(
  dag: string,
  options: BackfillCommandOptions,
  io: CommandIo,
): Promise<number> {
  try {
    if (options.from > options.to) {
      throw new TributaryError(
        Code.InvalidArgument,
        `--from (${formatInstant(options.from)}) is after --to (${formatInstant(options.to)})`,
      );
    }
    return await withClient(io, async (client) => {
      const runs = await client.backfill({
        dag,
        from: options.from,
        to: options.to,
        rerunFailed: options.rerunFailed ?? false,
      });
      io.out(options.json ? backfillJsonLine('backfill', dag, runs) : formatCreatedRuns(dag, runs));
      if (options.wait === false || runs.length === 0) return EXIT_OK;
      const states = await followBackfill(client, dag, runs, options, io);
      if (states === undefined) {
        io.err(`stopped watching; the backfill's runs go on (tributary runs ${dag} lists them)\n`);
        return EXIT_FAILED;
      }
      if (options.json) io.out(backfillJsonLine('finished', dag, runs, states));
      return Math.max(EXIT_OK, ...[...states.values()].map(exitCodeFor));
    });
  } catch (error) {
    return reportError(io, error);
  }
}

/** What the backfill did per interval, or that the range holds no interval of the schedule. */
function formatCreatedRuns(dag: string, runs: readonly BackfillRun[]): string {
  return runs.length === 0 ? `no data interval of ${dag} falls in the range\n` : formatBackfillRuns(runs);
}

/** A `--json` line of the backfill's runs: as created (`backfill`), or in their final states (`finished`). */
function backfillJsonLine(
  type: 'backfill' | 'finished',
  dag: string,
  runs: readonly BackfillRun[],
  states?: ReadonlyMap<string, RunState>,
): string {
  const json = runs.map((run) => backfillRunToJson(run, states?.get(run.runId)));
  return `${JSON.stringify({ type, dag, runs: json })}\n`;
}

/**
 * Polls the backfill's unfinished runs until every one has finished, printing a progress line each time
 * the counts change. Resolves with each run's final state, or undefined when Ctrl-C stopped the watch.
 */
async function followBackfill(
  client: TributaryClient,
  dag: string,
  runs: readonly BackfillRun[],
  options: BackfillCommandOptions,
  io: CommandIo,
): Promise<Map<string, RunState> | undefined> {
  const states = new Map(runs.map((run) => [run.runId, runStateFromProto(run.state)]));
  const palette = createPalette(io.color);
  const signal = io.interrupt();
  let shown = '';
  for (;;) {
    const tally = tallyStates(states.values());
    const line = options.json
      ? `${JSON.stringify({ type: 'progress', dag, ...tally })}\n`
      : formatBackfillProgress(dag, tally, palette);
    if (line !== shown) io.out(line);
    shown = line;
    const open = [...states].filter(([, state]) => !isTerminalRunState(state)).map(([id]) => id);
    if (open.length === 0) return states;
    try {
      await sleep(options.pollIntervalMs ?? DEFAULT_BACKFILL_POLL_MS, undefined, { signal });
      const polled = await Promise.all(open.map((id) => client.getRun(id)));
      for (const [index, run] of polled.entries())
        states.set(open[index] ?? run.id, runStateFromProto(run.state));
    } catch (error) {
      if (signal.aborted) return undefined;
      throw error;
    }
  }
}
