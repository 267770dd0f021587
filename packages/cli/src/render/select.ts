import type { CommandIo } from '../io.js';
import { createJsonRenderer } from './json.js';
import { createProgressRenderer } from './progress.js';
import type { RunRenderer } from './renderer.js';

/** The renderer a command's `--json` flag asks for, writing to the command's stdout. */
export function selectRenderer(io: CommandIo, json: boolean, taskIds?: readonly string[]): RunRenderer {
  const write = (text: string) => io.out(text);
  if (json) return createJsonRenderer(write);
  return createProgressRenderer({ write, color: io.color, ...(taskIds === undefined ? {} : { taskIds }) });
}
