import { createHash } from 'node:crypto';
import type { ObjectStore } from '@nats-io/obj';
import { Code, type JsonValue, TributaryError } from '@tributary/core';
import type { OutputStore } from './types.js';

/** The key that marks a value as an {@link OutputRef}. */
export const OUTPUT_REF_KEY = '$tributary_output';

/** Where a large output lives: an object in the `<prefix>-outputs` bucket, with its size and hash. */
export type OutputRefTarget = {
  /** The object's name, from {@link outputRefName}. */
  object: string;
  /** Size of the output's UTF-8 JSON text. */
  bytes: number;
  /** Lower-case hex SHA-256 of that text. */
  sha256: string;
};

/**
 * What a worker reports instead of an output over its inline limit:
 * `{ "$tributary_output": { "object": "…", "bytes": 2097152, "sha256": "…" } }`. The coordinator stores
 * and forwards it like any output; the worker running a downstream task replaces it with the value.
 * (A type alias, not an interface, so that it is a `JsonValue`.)
 */
export type OutputRef = { [OUTPUT_REF_KEY]: OutputRefTarget };

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Whether a value is an {@link OutputRef}: exactly the one key, with a well-formed target. */
export function isOutputRef(value: unknown): value is OutputRef {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== OUTPUT_REF_KEY) return false;
  const target = value[OUTPUT_REF_KEY];
  return (
    isPlainObject(target) &&
    Object.keys(target).length === 3 &&
    typeof target.object === 'string' &&
    target.object !== '' &&
    Number.isSafeInteger(target.bytes) &&
    (target.bytes as number) >= 0 &&
    typeof target.sha256 === 'string' &&
    SHA256_HEX.test(target.sha256)
  );
}

/**
 * The object name of one attempt's output: `<runId>/<taskId>/<attempt>/<sha256>`. Unique per attempt,
 * and per content within it: when a redelivered attempt runs twice and returns something else the
 * second time, each reference still points at the bytes it describes (first writer never overwritten).
 * Parts are URI-encoded so that no two attempts can share a name.
 */
export function outputRefName(runId: string, taskId: string, attempt: number, sha256: string): string {
  if (!Number.isSafeInteger(attempt) || attempt < 1) {
    throw new TributaryError(Code.InvalidArgument, `attempt must be a positive integer, got ${attempt}`);
  }
  if (!SHA256_HEX.test(sha256)) {
    throw new TributaryError(Code.InvalidArgument, `sha256 must be 64 lower-case hex digits, got ${sha256}`);
  }
  return `${encodeURIComponent(runId)}/${encodeURIComponent(taskId)}/${attempt}/${sha256}`;
}

/** Lower-case hex SHA-256 of some bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Large task outputs in the object store; see {@link OutputStore}. */
export function createOutputStore(open: () => Promise<ObjectStore>): OutputStore {
  return {
    async put(ref, json) {
      const sha256 = sha256Hex(json);
      const object = outputRefName(ref.runId, ref.taskId, ref.attempt, sha256);
      const store = await open();
      // Named by content: an object already there holds these very bytes (a redelivered attempt).
      const info = await store.info(object);
      if (info === null || info.deleted) await store.putBlob({ name: object }, json);
      return { [OUTPUT_REF_KEY]: { object, bytes: json.byteLength, sha256 } };
    },
    async get(ref) {
      const target = ref[OUTPUT_REF_KEY];
      const store = await open();
      const blob = await store.getBlob(target.object);
      if (blob === null) return null;
      const sha256 = sha256Hex(blob);
      if (blob.byteLength !== target.bytes || sha256 !== target.sha256) {
        throw new TributaryError(
          Code.DataLoss,
          `output object ${target.object} holds ${blob.byteLength} bytes with sha256 ${sha256}, but its ` +
            `reference says ${target.bytes} bytes with sha256 ${target.sha256}`,
        );
      }
      try {
        return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(blob)) as JsonValue;
      } catch (error) {
        throw new TributaryError(Code.DataLoss, `output object ${target.object} is not UTF-8 JSON`, {
          cause: error,
        });
      }
    },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
