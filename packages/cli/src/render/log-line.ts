import type { Palette } from './colors.js';

/** A task's log line as both `tributary logs` and `tributary run` print it. */
export interface PrintableLogLine {
  /** Epoch ms. */
  at: number;
  stream: 'stdout' | 'stderr' | 'log';
  /** For `log` lines: the `ctx.log` method that wrote it. */
  level?: string;
  line: string;
}

// The widest label, `stdout`/`stderr`: columns line up whatever the source.
const LABEL_WIDTH = 6;

/**
 * `2026-05-04T10:00:01.250Z stdout extracted 42 rows`: the time (UTC), where the line came from
 * (`stdout`, `stderr`, or the level of a `ctx.log` line), and the line. With `task` (a local run
 * interleaves its tasks), the line starts with `[task] `.
 */
export function formatLogLine(entry: PrintableLogLine, palette: Palette, task?: string): string {
  const label = entry.stream === 'log' ? entry.level || 'log' : entry.stream;
  const painted = paintLabel(label, palette)(label.padEnd(LABEL_WIDTH));
  const prefix = task === undefined ? '' : `${palette.bold(`[${task}]`)} `;
  return `${prefix}${palette.gray(new Date(entry.at).toISOString())} ${painted} ${entry.line}\n`;
}

function paintLabel(label: string, palette: Palette): (text: string) => string {
  switch (label) {
    case 'stderr':
    case 'error':
      return palette.red;
    case 'warn':
      return palette.yellow;
    default:
      return palette.gray;
  }
}
