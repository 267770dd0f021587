import { type JsonObject, RUN_STATES, type RunState } from '@tributary/core';
import { BackfillAction, type BackfillRun, millisFromTimestamp, runStateFromProto } from '@tributary/proto';
import type { Palette } from './colors.js';
import { paint } from './progress.js';
import { formatInstant } from './run-view.js';
import { formatTable } from './table.js';

/** What a backfill did for one interval, as the CLI names it. */
export function backfillActionName(action: BackfillAction): string {
  switch (action) {
    case BackfillAction.CREATED:
      return 'created';
    case BackfillAction.EXISTING:
      return 'existing';
    case BackfillAction.RERUN:
      return 'rerun';
    default:
      return 'unknown';
  }
}

/** One line per data interval: its logical date, its run, and what the backfill did. */
export function formatBackfillRuns(runs: readonly BackfillRun[]): string {
  const rows = runs.map((run) => [
    formatInstant(millisFromTimestamp(run.logicalDate)),
    run.runId,
    backfillActionName(run.action),
    runStateFromProto(run.state),
  ]);
  return formatTable(['LOGICAL DATE', 'RUN', 'ACTION', 'STATE'], rows);
}

/** A backfill interval as `--json` output. */
export function backfillRunToJson(
  run: BackfillRun,
  state: RunState = runStateFromProto(run.state),
): JsonObject {
  return {
    logical_date: formatInstant(millisFromTimestamp(run.logicalDate)),
    run_id: run.runId,
    action: backfillActionName(run.action),
    state,
  };
}

/** How many of a backfill's runs are in each state. */
export type BackfillTally = Record<RunState, number>;

/** Counts runs per state. */
export function tallyStates(states: Iterable<RunState>): BackfillTally {
  const tally = Object.fromEntries(RUN_STATES.map((state) => [state, 0])) as BackfillTally;
  for (const state of states) tally[state]++;
  return tally;
}

const FINISHED_STATES = ['succeeded', 'failed', 'cancelled'] as const satisfies readonly RunState[];
const OPEN_STATES = ['running', 'queued'] as const satisfies readonly RunState[];

/**
 * `backfill etl: 12/30 finished (10 succeeded, 2 failed), 3 running, 15 queued`; states with no run
 * are left out.
 */
export function formatBackfillProgress(dag: string, tally: BackfillTally, palette: Palette): string {
  const total = RUN_STATES.reduce((sum, state) => sum + tally[state], 0);
  const finished = FINISHED_STATES.reduce((sum, state) => sum + tally[state], 0);
  const count = (state: RunState) => paint(palette, state)(`${tally[state]} ${state}`);
  const outcomes = FINISHED_STATES.filter((state) => tally[state] > 0).map(count);
  const open = OPEN_STATES.filter((state) => tally[state] > 0).map(count);
  const head = `backfill ${dag}: ${finished}/${total} finished`;
  return `${[outcomes.length > 0 ? `${head} (${outcomes.join(', ')})` : head, ...open].join(', ')}\n`;
}
