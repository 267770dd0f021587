import {
  Code,
  DEFAULT_OUTPUT_MAX_BYTES,
  type Failure,
  type JsonValue,
  jsonByteLength,
  outputTooLargeFailure,
  TributaryError,
} from '@tributary/core';

const HOW_TO_RAISE = "raise the local runner's outputMaxBytes option";

/**
 * The failure of an attempt whose output is over `maxBytes` of UTF-8 JSON, or `undefined` when it fits.
 * The same measure and wording as the workers' (`OutputTooLarge`, not retryable), so that a DAG that
 * fails on the cluster fails the same way locally, though local outputs never leave memory.
 */
export function checkOutputSize(taskId: string, output: JsonValue, maxBytes: number): Failure | undefined {
  const bytes = jsonByteLength(output);
  return bytes > maxBytes ? outputTooLargeFailure(taskId, bytes, maxBytes, HOW_TO_RAISE) : undefined;
}

/**
 * The `outputMaxBytes` option, defaulted and checked.
 * @default 64 MiB, as on the workers
 * @throws TributaryError `InvalidArgument` naming `outputMaxBytes` when it is not a positive integer.
 */
export function resolveOutputMaxBytes(value: number | undefined): number {
  if (value === undefined) return DEFAULT_OUTPUT_MAX_BYTES;
  if (!Number.isSafeInteger(value) || value < 1) {
    const message = `must be a positive integer (bytes), got ${value}`;
    throw new TributaryError(Code.InvalidArgument, `outputMaxBytes ${message}`, {
      problems: [{ field: 'outputMaxBytes', message }],
    });
  }
  return value;
}
