import type { JsonObject } from '@tributary/core';
import type { Run } from '@tributary/proto';
import { millisFromTimestamp, runStateFromProto, taskStateFromProto } from '@tributary/proto';
import { withClient } from '../client.js';
import { reportError } from '../errors.js';
import { type CommandIo, EXIT_OK } from '../io.js';
import { formatInstant, formatSpan, isIntervalRun, runToJson, runTypeName } from '../render/run-view.js';
import { formatTable } from '../render/table.js';

/** Flags of `tributary status`. */
export interface StatusCommandOptions {
  json?: boolean;
}

/** The header and task table of `tributary status`. */
export function formatRunStatus(run: Run, now: number = Date.now()): string {
  const createdAt = millisFromTimestamp(run.createdAt);
  const header = [
    `run      ${run.id}`,
    `dag      ${run.dag} (version ${run.dagVersion})`,
    // A run a dag task triggered names it, so that one can walk up to the run that started it.
    ...(run.parentRunId === '' ? [] : [`parent   ${run.parentRunId}/${run.parentTaskId}`]),
    `state    ${runStateFromProto(run.state)}`,
    ...runOrigin(run),
    `created  ${createdAt === undefined ? '-' : new Date(createdAt).toISOString()}`,
    `duration ${formatSpan(createdAt, millisFromTimestamp(run.finishedAt), now)}`,
  ];
  const rows = run.tasks.map((task) => [
    task.taskId,
    // A queued task that no live worker can start says so in place of its bare state.
    task.waiting === '' ? taskStateFromProto(task.state) : task.waiting,
    String(task.attempt),
    task.workerId === '' ? '-' : task.workerId,
    formatSpan(millisFromTimestamp(task.startedAt), millisFromTimestamp(task.finishedAt), now),
    task.error?.message ?? '',
  ]);
  const table = formatTable(['TASK', 'STATE', 'ATTEMPT', 'WORKER', 'DURATION', 'ERROR'], rows);
  const context = formatContext(run.context);
  return `${header.join('\n')}\n\n${table}${context === undefined ? '' : `\n${context}`}`;
}

/**
 * How the run came to be: `type     backfill`, and for a run of a schedule interval its logical date
 * and data interval. Nothing for a server that does not say (it predates run types).
 */
function runOrigin(run: Run): string[] {
  const type = runTypeName(run.runType);
  if (type === undefined) return [];
  if (!isIntervalRun(run)) return [`type     ${type}`];
  const start = formatInstant(millisFromTimestamp(run.dataIntervalStart));
  const end = formatInstant(millisFromTimestamp(run.dataIntervalEnd));
  return [
    `type     ${type}`,
    `logical  ${formatInstant(millisFromTimestamp(run.logicalDate))}`,
    `interval ${start} to ${end}`,
  ];
}

/** Longest value shown in the context table; `--json` has the whole of it. */
const CONTEXT_VALUE_WIDTH = 80;

/** The run context as a KEY/VALUE table of compact JSON, or undefined when the run set no keys. */
function formatContext(context: JsonObject | undefined): string | undefined {
  if (context === undefined || Object.keys(context).length === 0) return undefined;
  const rows = Object.entries(context).map(([key, value]) => {
    const json = JSON.stringify(value);
    return [key, json.length > CONTEXT_VALUE_WIDTH ? `${json.slice(0, CONTEXT_VALUE_WIDTH - 1)}…` : json];
  });
  return formatTable(['CONTEXT KEY', 'VALUE'], rows);
}

/** `tributary status <run id>`: where a run is, task by task. */
export async function statusCommand(
  runId: string,
  options: StatusCommandOptions,
  io: CommandIo,
): Promise<number> {
  try {
    const run = await withClient(io, (client) => client.getRun(runId));
    io.out(options.json ? `${JSON.stringify(runToJson(run))}\n` : formatRunStatus(run));
    return EXIT_OK;
  } catch (error) {
    return reportError(io, error);
  }
}
