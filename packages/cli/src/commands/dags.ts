import { type DagSummary, millisFromTimestamp, type Run, runStateFromProto } from '@tributary/proto';
import { withClient } from '../client.js';
import { reportError } from '../errors.js';
import { type CommandIo, EXIT_OK } from '../io.js';
import { dagToJson, formatInstant } from '../render/run-view.js';
import { formatTable } from '../render/table.js';

/** Flags of `tributary dags`. */
export interface DagsCommandOptions {
  json?: boolean;
}

/**
 * What starts a DAG's runs besides a trigger: `0 2 * * * (Europe/Paris)` (the time zone left out when
 * UTC), `on orders.created`, `after ingest.load, audit.check`; `-` when nothing does.
 */
export function formatDagSchedule(dag: DagSummary): string {
  const parts: string[] = [];
  const { schedule } = dag;
  if (schedule !== undefined) {
    const utc = schedule.timezone === '' || schedule.timezone === 'UTC';
    parts.push(utc ? schedule.cron : `${schedule.cron} (${schedule.timezone})`);
  }
  if (dag.eventSubject !== '') parts.push(`on ${dag.eventSubject}`);
  if (dag.after.length > 0) parts.push(`after ${dag.after.join(', ')}`);
  return parts.join('; ') || '-';
}

/** When the schedule runs next, `(paused)` after it when the DAG is paused; `-` without a next run. */
export function formatNextRun(dag: DagSummary): string {
  const next = millisFromTimestamp(dag.schedule?.nextRunAt);
  if (next === undefined) return '-';
  return dag.paused ? `${formatInstant(next)} (paused)` : formatInstant(next);
}

/** `failed 2024-01-02T00:00:05Z`: the last run's state and when it was created; `-` when none. */
export function formatLastRun(run: Run | undefined): string {
  if (run === undefined) return '-';
  return `${runStateFromProto(run.state)} ${formatInstant(millisFromTimestamp(run.createdAt))}`;
}

/**
 * The table of `tributary dags`: each DAG with its latest version, what starts its runs and its last
 * run. The bundle hash is left to `--json`, to keep the rows within a terminal's width.
 */
export function formatDagsTable(dags: readonly DagSummary[]): string {
  const rows = dags.map((dag) => {
    const latest = dag.latest;
    return [
      dag.name,
      latest === undefined ? '-' : String(latest.version),
      latest === undefined ? '-' : String(latest.taskCount),
      formatDagSchedule(dag),
      formatNextRun(dag),
      formatLastRun(dag.lastRun),
      dag.paused ? 'yes' : 'no',
      formatInstant(millisFromTimestamp(latest?.createdAt)),
      latest?.description ?? '',
    ];
  });
  return formatTable(
    ['DAG', 'VERSION', 'TASKS', 'SCHEDULE', 'NEXT RUN', 'LAST RUN', 'PAUSED', 'DEPLOYED', 'DESCRIPTION'],
    rows,
  );
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
