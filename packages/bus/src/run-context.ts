import type { JetStreamClient } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { Code, encodeJson, type JsonObject, type JsonValue, TributaryError } from '@tributary/core';
import type { RunContextBucket } from './types.js';

/** Most keys {@link RunContextBucket.read} returns: a run view stays bounded however many were set. */
export const RUN_CONTEXT_READ_LIMIT = 1000;

// A run id becomes the first token of each key: the characters a KV token allows, no dots.
const RUN_ID = /^[A-Za-z0-9_-]+$/;

/**
 * Creates the run context bucket if needed (idempotent) and opens it. History 1: a run context is
 * the latest value of each key, nothing more.
 */
export async function openContextBucket(js: JetStreamClient, bucket: string): Promise<KV> {
  try {
    return await new Kvm(js).create(bucket, { history: 1 });
  } catch (error) {
    throw new TributaryError(Code.Unavailable, `cannot open KV bucket ${bucket}: ${String(error)}`, {
      cause: error,
    });
  }
}

/** Run contexts in one KV bucket, each key stored as `<runId>.<key>` holding UTF-8 JSON. */
export function createRunContextBucket(open: () => Promise<KV>): RunContextBucket {
  return {
    forRun(runId) {
      assertRunId(runId);
      return {
        async get(key) {
          return readKey(await open(), runId, key);
        },
        async set(key, value) {
          const kv = await open();
          await wrap(runId, key, 'set', () => kv.put(`${runId}.${key}`, encodeJson(value)));
        },
        async keys() {
          return (await listKeys(await open(), runId, Number.POSITIVE_INFINITY)).keys;
        },
      };
    },
    async read(runId, limit = RUN_CONTEXT_READ_LIMIT) {
      assertRunId(runId);
      const kv = await open();
      const { keys, truncated } = await listKeys(kv, runId, limit);
      const read = await Promise.all(keys.map((key) => readKey(kv, runId, key)));
      const values: JsonObject = {};
      for (const [index, key] of keys.entries()) {
        const value = read[index];
        if (value !== undefined) values[key] = value;
      }
      return { values, truncated };
    },
  };
}

/** One key's value; undefined when it was never set (or deleted by hand). */
async function readKey(kv: KV, runId: string, key: string): Promise<JsonValue | undefined> {
  const entry = await wrap(runId, key, 'read', () => kv.get(`${runId}.${key}`));
  return entry === null || entry.operation !== 'PUT' ? undefined : parse(runId, key, entry.value);
}

/**
 * The run's keys (without the run id), sorted; at most `limit` of them, the first the bucket lists
 * (which is by last update, not by name).
 */
async function listKeys(
  kv: KV,
  runId: string,
  limit: number,
): Promise<{ keys: string[]; truncated: boolean }> {
  const prefix = `${runId}.`;
  const keys: string[] = [];
  let truncated = false;
  try {
    const iterator = await kv.keys(`${prefix}>`);
    for await (const key of iterator) {
      if (keys.length >= limit) {
        truncated = true;
        iterator.stop();
        break;
      }
      keys.push(key.slice(prefix.length));
    }
  } catch (error) {
    throw new TributaryError(
      Code.Unavailable,
      `cannot list the context keys of run ${runId}: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  return { keys: keys.sort(), truncated };
}

function parse(runId: string, key: string, bytes: Uint8Array): JsonValue {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as JsonValue;
  } catch (error) {
    throw new TributaryError(Code.DataLoss, `context key '${key}' of run ${runId} is not UTF-8 JSON`, {
      cause: error,
    });
  }
}

async function wrap<T>(runId: string, key: string, what: 'read' | 'set', call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TributaryError(
      Code.Unavailable,
      `cannot ${what} context key '${key}' of run ${runId}: ${reason}`,
      {
        cause: error,
      },
    );
  }
}

function assertRunId(runId: string): void {
  if (!RUN_ID.test(runId)) {
    throw new TributaryError(
      Code.InvalidArgument,
      `run id must match /^[A-Za-z0-9_-]+$/ to key a run context, got ${JSON.stringify(runId)}`,
    );
  }
}
