import type { Failure, JsonValue } from '@tributary/core';

/** Either the task's output as plain JSON, or why it is not JSON. */
export type JsonOutputResult = { ok: true; output: JsonValue } | { ok: false; error: Failure };

/**
 * Turns a node task's return value into its JSON output. `undefined` becomes `null`. Functions,
 * symbols, bigints, Maps, Sets and cycles are refused with a message naming the task and the path:
 * `JSON.stringify` would drop or mangle the first four silently.
 */
export function toJsonOutput(value: unknown, taskId: string): JsonOutputResult {
  if (value === undefined) return { ok: true, output: null };
  const problem = findNonJson(value, 'output', []);
  if (problem !== undefined) return { ok: false, error: outputFailure(taskId, problem) };
  try {
    return { ok: true, output: JSON.parse(JSON.stringify(value)) as JsonValue };
  } catch (error) {
    // A toJSON() that returns something unserialisable ends up here.
    return {
      ok: false,
      error: outputFailure(taskId, error instanceof Error ? error.message : String(error)),
    };
  }
}

function outputFailure(taskId: string, problem: string): Failure {
  return {
    type: 'OutputError',
    message: `task '${taskId}' returned an output that is not JSON-serialisable: ${problem}`,
    // The same code returns the same value again.
    retryable: false,
  };
}

function findNonJson(value: unknown, path: string, ancestors: object[]): string | undefined {
  if (typeof value === 'function') return `a function at ${path}`;
  if (typeof value === 'bigint') return `a bigint at ${path}`;
  if (typeof value === 'symbol') return `a symbol at ${path}`;
  if (typeof value !== 'object' || value === null) return undefined;
  if (ancestors.includes(value)) return `a circular reference at ${path}`;
  if (value instanceof Map || value instanceof Set) return `a ${value.constructor.name} at ${path}`;
  // Dates and the like define their own JSON form.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined;
  ancestors.push(value);
  try {
    const entries = Array.isArray(value)
      ? value.map((item, index) => [`${path}[${index}]`, item] as const)
      : Object.entries(value).map(([key, item]) => [`${path}.${key}`, item] as const);
    for (const [itemPath, item] of entries) {
      const problem = findNonJson(item, itemPath, ancestors);
      if (problem !== undefined) return problem;
    }
    return undefined;
  } finally {
    ancestors.pop();
  }
}
