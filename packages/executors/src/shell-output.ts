import type { JsonValue } from '@tributary/core';

/**
 * A shell task's output from its last non-empty stdout line: the line's JSON value, or null when it
 * is not JSON. A branch task may also print bare task ids, split on commas and/or whitespace
 * (`load`, `load_eu, load_us`): one id gives a string, several an array of strings.
 */
export function parseShellOutput(line: string | undefined, branch: boolean): JsonValue {
  if (line === undefined) return null;
  try {
    return JSON.parse(line) as JsonValue;
  } catch {
    return branch ? parseTaskIds(line) : null;
  }
}

function parseTaskIds(line: string): JsonValue {
  const ids = line.split(/[\s,]+/).filter((id) => id !== '');
  if (ids.length === 0) return null;
  return ids.length === 1 ? (ids[0] as string) : ids;
}
