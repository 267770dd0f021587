import {
  Code,
  type Failure,
  type JsonObject,
  type JsonValue,
  TributaryError,
  toFailure,
} from '@tributary/core';
import type { RunContextStore } from './types.js';

/** Longest run context key, in characters. */
export const CONTEXT_KEY_MAX_LENGTH = 128;
/** Largest run context value: bytes of its UTF-8 JSON text. */
export const CONTEXT_VALUE_MAX_BYTES = 1024 * 1024;

// NATS KV key rules, the strictest back-end: its tokens are separated by dots, none may be empty.
const KEY_CHARS = /^[A-Za-z0-9_.-]+$/;

/**
 * Checks a run context key: 1-128 characters of `[A-Za-z0-9_.-]`, neither starting nor ending with a
 * dot and without two dots in a row.
 * @throws TributaryError `InvalidArgument` naming the key and, when given, the task.
 */
export function assertContextKey(key: unknown, taskId?: string): asserts key is string {
  const problem = keyProblem(key);
  if (problem === undefined) return;
  const where = taskId === undefined ? '' : `task '${taskId}': `;
  throw new TributaryError(Code.InvalidArgument, `${where}context key ${describe(key)} ${problem}`);
}

/**
 * The value's JSON text, checked against {@link CONTEXT_VALUE_MAX_BYTES}.
 * @throws TributaryError `InvalidArgument` naming the key when the value is too large.
 */
export function checkContextValue(key: string, json: string, taskId?: string): void {
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= CONTEXT_VALUE_MAX_BYTES) return;
  const where = taskId === undefined ? '' : `task '${taskId}': `;
  throw new TributaryError(
    Code.InvalidArgument,
    `${where}context value of key '${key}' is ${bytes} bytes of JSON, over the limit of ` +
      `${CONTEXT_VALUE_MAX_BYTES} bytes (1 MiB)`,
  );
}

/** A {@link RunContextStore} in memory, for one local run; {@link snapshot} reads it all at once. */
export interface MemoryContextStore extends RunContextStore {
  /** Every key and value, keys sorted. */
  snapshot(): JsonObject;
}

/**
 * A run context held in a Map. Values are stored as JSON text, so that a caller mutating an object
 * after `set` (or after `get`) never changes what the other tasks read.
 */
export function createMemoryContextStore(): MemoryContextStore {
  const entries = new Map<string, string>();
  const sortedKeys = () => [...entries.keys()].sort();
  return {
    async get(key) {
      assertContextKey(key);
      const json = entries.get(key);
      return json === undefined ? undefined : (JSON.parse(json) as JsonValue);
    },
    async set(key, value) {
      assertContextKey(key);
      const json = JSON.stringify(value);
      checkContextValue(key, json);
      entries.set(key, json);
    },
    async keys() {
      return sortedKeys();
    },
    snapshot() {
      const result: JsonObject = {};
      for (const key of sortedKeys()) result[key] = JSON.parse(entries.get(key)!) as JsonValue;
      return result;
    },
  };
}

/** Every key and value of a store, read one key at a time (a shell task's `TRIBUTARY_CONTEXT`). */
export async function readWholeContext(store: RunContextStore): Promise<JsonObject> {
  const result: JsonObject = {};
  for (const key of await store.keys()) {
    const value = await store.get(key);
    // Gone between listing and reading: another task cannot delete, but a store may expire keys.
    if (value !== undefined) result[key] = value;
  }
  return result;
}

/**
 * The whole run context for a process's environment (shell and container tasks), `{}` without a store;
 * or the failure that ends the attempt when it cannot be read.
 */
export async function readContextForTask(
  taskId: string,
  store: RunContextStore | undefined,
): Promise<{ context: JsonObject } | { error: Failure }> {
  try {
    return { context: store === undefined ? {} : await readWholeContext(store) };
  } catch (error) {
    const failure = toFailure(error);
    return {
      error: { ...failure, message: `task '${taskId}' could not read the run context: ${failure.message}` },
    };
  }
}

/** The error of a `ctx.context` call made when the executor was given no store. */
export function missingContextStore(taskId: string): TributaryError {
  return new TributaryError(
    Code.FailedPrecondition,
    `task '${taskId}': this run has no run context (the executor was called without ExecuteOptions.context)`,
  );
}

function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return 'must be a string';
  if (key.length === 0 || key.length > CONTEXT_KEY_MAX_LENGTH) {
    return `must be 1-${CONTEXT_KEY_MAX_LENGTH} characters long, got ${key.length}`;
  }
  if (!KEY_CHARS.test(key)) return 'may only hold the characters [A-Za-z0-9_.-]';
  if (key.startsWith('.') || key.endsWith('.') || key.includes('..')) {
    return 'may neither start nor end with a dot nor hold two dots in a row';
  }
  return undefined;
}

function describe(key: unknown): string {
  if (typeof key !== 'string') return `(a ${typeof key})`;
  return `'${key.length > 140 ? `${key.slice(0, 140)}…` : key}'`;
}
