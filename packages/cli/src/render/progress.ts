import { formatDuration, type RunState, TASK_STATES, type TaskState } from '@tributary/core';
import type { RunSummary, TaskStateEvent } from '@tributary/runner';
import { createPalette, type Palette } from './colors.js';
import { formatLogLine } from './log-line.js';
import type { RunRenderer } from './renderer.js';

/** How {@link createProgressRenderer} writes. */
export interface ProgressRendererOptions {
  write: (text: string) => void;
  /** Colour with ANSI escapes. @default false */
  color?: boolean;
  /** Known task ids, so that columns line up from the first line. @default [] */
  taskIds?: readonly string[];
}

const SYMBOLS: Record<TaskState, string> = {
  pending: '○',
  queued: '·',
  running: '▶',
  up_for_retry: '↻',
  up_for_reschedule: '⏲',
  succeeded: '✔',
  failed: '✘',
  upstream_failed: '⊘',
  skipped: '↷',
  cancelled: '■',
};

/** The longest state name, `up_for_reschedule`. */
const STATE_WIDTH = Math.max(...TASK_STATES.map((state) => state.length));

const RUN_SYMBOLS: Record<RunState, string> = {
  queued: '·',
  running: '▶',
  succeeded: '✔',
  failed: '✘',
  cancelled: '■',
};

/** The colour of a task or run state: green for success, red for failure, and so on. */
export function paint(palette: Palette, state: TaskState | RunState): (text: string) => string {
  switch (state) {
    case 'succeeded':
      return palette.green;
    case 'failed':
    case 'upstream_failed':
      return palette.red;
    case 'up_for_retry':
    case 'cancelled':
      return palette.yellow;
    case 'running':
      return palette.blue;
    default:
      return palette.gray;
  }
}

/** `✔ extract     succeeded  1.20s`, plus the error and log tail of a failed attempt, indented. */
export function formatTaskEvent(event: TaskStateEvent, width: number, palette: Palette): string {
  const colour = paint(palette, event.state);
  const parts: string[] = [];
  if (event.attempt > 1) parts.push(palette.gray(`attempt ${event.attempt}`));
  if (event.durationMs !== undefined) parts.push(formatDuration(event.durationMs));
  if (event.worker !== undefined && event.worker !== '') parts.push(palette.gray(`on ${event.worker}`));
  if (event.retryAt !== undefined) {
    parts.push(palette.gray(`retry in ${formatDuration(Math.max(0, event.retryAt - event.at))}`));
  }
  // The state is padded only when something follows it, so that no line ends in spaces.
  const state = parts.length > 0 ? event.state.padEnd(STATE_WIDTH) : event.state;
  const head = `${colour(SYMBOLS[event.state])} ${event.task.padEnd(width)} ${colour(state)}`;
  const lines = [[head, ...parts].join('  ')];
  if (event.error !== undefined)
    lines.push(`    ${palette.red(`${event.error.type}: ${event.error.message}`)}`);
  for (const line of event.logTail ?? []) lines.push(`    ${palette.gray('│')} ${line}`);
  return `${lines.join('\n')}\n`;
}

function attemptKey(task: string, attempt: number): string {
  return `${task}#${attempt}`;
}

/** `✘ run failed: 2 succeeded, 1 failed, 1 upstream_failed in 3.20s` */
export function formatSummary(summary: RunSummary, palette: Palette): string {
  const counts = new Map<TaskState, number>();
  for (const task of Object.values(summary.tasks)) counts.set(task.state, (counts.get(task.state) ?? 0) + 1);
  const tally = TASK_STATES.filter((state) => counts.has(state))
    .map((state) => paint(palette, state)(`${counts.get(state)} ${state}`))
    .join(', ');
  const { state, startedAt, finishedAt } = summary.run;
  const colour = paint(palette, state);
  const took = formatDuration(Math.max(0, finishedAt - startedAt));
  return `${colour(`${RUN_SYMBOLS[state]} run ${state}`)}: ${tally || 'no tasks'} in ${took}\n`;
}

/**
 * Renders progress for people: one line per task state change, each log line of a running task as
 * `tributary logs` prints it (after its task's id), failures with their error and log tail, and a
 * summary line.
 */
export function createProgressRenderer(options: ProgressRendererOptions): RunRenderer {
  const palette = createPalette(options.color ?? false);
  // Columns widen as longer task ids appear, when the ids were not known up front.
  let width = Math.max(12, ...(options.taskIds ?? []).map((id) => id.length));
  // The attempts whose lines were shown as they were logged (a local run's; a remote run has none).
  const loggedLive = new Set<string>();
  return {
    event(event) {
      if (event.type === 'run') {
        if (event.state === 'running') options.write(palette.bold(`▶ run ${event.run} of ${event.dag}\n`));
        return;
      }
      if (event.type === 'log') {
        loggedLive.add(attemptKey(event.task, event.attempt));
        options.write(formatLogLine(event, palette, event.task));
        return;
      }
      width = Math.max(width, event.task.length);
      // A failed attempt's tail repeats what was just shown line by line: then it is left out.
      const { logTail, ...rest } = event;
      const shown = loggedLive.has(attemptKey(event.task, event.attempt));
      options.write(
        formatTaskEvent(shown || logTail === undefined ? rest : { ...rest, logTail }, width, palette),
      );
    },
    summary(summary) {
      options.write(formatSummary(summary, palette));
    },
  };
}
