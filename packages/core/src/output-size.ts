import { formatBytes, MIB } from './byte-size.js';
import type { Failure } from './failure.js';
import type { JsonValue } from './json.js';

/**
 * The largest task output, in bytes of UTF-8 JSON, that the workers and the local runner accept; a
 * larger one fails its attempt (see {@link outputTooLargeFailure}).
 * @default 64 MiB
 */
export const DEFAULT_OUTPUT_MAX_BYTES = 64 * MIB;

/** A value's UTF-8 JSON text, the form in which outputs are measured and stored. */
export function encodeJson(value: JsonValue): Uint8Array {
  const buffer = Buffer.from(JSON.stringify(value), 'utf8');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The size of {@link encodeJson}'s result, without keeping the bytes. */
export function jsonByteLength(value: JsonValue): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * The failure of an attempt whose output is over the hard limit. Not retryable: the same code returns
 * the same output again. `howToRaise` says where the limit is set, e.g. `raise
 * TRIBUTARY_OUTPUT_MAX_BYTES on the workers`, since that differs between the worker and the local runner.
 */
export function outputTooLargeFailure(
  taskId: string,
  bytes: number,
  maxBytes: number,
  howToRaise: string,
): Failure {
  return {
    type: 'OutputTooLarge',
    message:
      `task '${taskId}' returned an output of ${formatBytes(bytes)} (${bytes} bytes of JSON), over the ` +
      `limit of ${formatBytes(maxBytes)} (${maxBytes} bytes): return less (write bulk data to shared ` +
      `storage and return where it is), or ${howToRaise}`,
    retryable: false,
    details: { taskId, bytes, maxBytes },
  };
}
