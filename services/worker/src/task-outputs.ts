import { isOutputRef, type OutputStore } from '@tributary/bus';
import {
  Code,
  encodeJson,
  type Failure,
  type JsonValue,
  outputTooLargeFailure,
  TributaryError,
} from '@tributary/core';

/** The worker's output size limits, in bytes of UTF-8 JSON. */
export interface OutputLimits {
  /** Larger outputs go to the object store; the event carries a reference. */
  inlineLimitBytes: number;
  /** Larger outputs fail their attempt with `OutputTooLarge`. */
  maxBytes: number;
}

/** Where a successful attempt's output goes. */
export type OutputPlan =
  | { kind: 'inline'; json: Uint8Array }
  | { kind: 'store'; json: Uint8Array }
  | { kind: 'too_large'; failure: Failure };

const HOW_TO_RAISE =
  'raise TRIBUTARY_OUTPUT_MAX_BYTES on the workers (e.g. TRIBUTARY_OUTPUT_MAX_BYTES=128MiB)';

/**
 * Decides from an output's JSON size whether it travels inline, goes to the object store, or fails the
 * attempt. An output that itself looks like a reference, or a list with one among its elements, is
 * stored too, so that the downstream task gets back exactly what was returned instead of what that
 * reference points at (a mapped task's downstream task resolves references inside its list input).
 */
export function planOutput(taskId: string, output: JsonValue, limits: OutputLimits): OutputPlan {
  const json = encodeJson(output);
  if (json.byteLength > limits.maxBytes) {
    return {
      kind: 'too_large',
      failure: outputTooLargeFailure(taskId, json.byteLength, limits.maxBytes, HOW_TO_RAISE),
    };
  }
  if (json.byteLength > limits.inlineLimitBytes || holdsOutputRef(output)) return { kind: 'store', json };
  return { kind: 'inline', json };
}

/** Whether a value is a reference, or a list with one among its elements (see {@link resolveInputs}). */
function holdsOutputRef(value: JsonValue): boolean {
  return isOutputRef(value) || (Array.isArray(value) && value.some(isOutputRef));
}

// A class, not a shape check: an upstream output may well look like a Failure.
class FailedInput {
  constructor(readonly failure: Failure) {}
}

/** Upstream outputs with every reference replaced by its value, or why the attempt cannot run. */
export type ResolvedInputs =
  | { ok: true; inputs: Record<string, JsonValue> }
  | { ok: false; failure: Failure };

/**
 * Fetches every input that is an output reference from the object store, so that the task only ever sees
 * values. A mapped task's outputs reach its downstream tasks as one list, whose elements may each be a
 * reference: those are fetched too. A missing object fails the attempt with `OutputMissing`, one that does not match its reference
 * with `OutputCorrupt` (neither retryable: the same object is read again).
 * @throws what the store throws when NATS cannot be reached: the caller retries the delivery later.
 */
export async function resolveInputs(
  outputs: OutputStore,
  taskId: string,
  inputs: Record<string, JsonValue>,
): Promise<ResolvedInputs> {
  const entries = await Promise.all(
    Object.entries(inputs).map(async ([upstream, value]): Promise<[string, JsonValue | FailedInput]> => {
      if (!Array.isArray(value)) return [upstream, await resolveValue(outputs, taskId, upstream, value)];
      const elements = await Promise.all(value.map((v) => resolveValue(outputs, taskId, upstream, v)));
      const failed = elements.find((e): e is FailedInput => e instanceof FailedInput);
      return [upstream, failed ?? (elements as JsonValue[])];
    }),
  );
  const resolved: Record<string, JsonValue> = {};
  for (const [upstream, value] of entries) {
    if (value instanceof FailedInput) return { ok: false, failure: value.failure };
    resolved[upstream] = value;
  }
  return { ok: true, inputs: resolved };
}

/** A value, or the one its reference points at. */
async function resolveValue(
  outputs: OutputStore,
  taskId: string,
  upstream: string,
  value: JsonValue,
): Promise<JsonValue | FailedInput> {
  if (!isOutputRef(value)) return value;
  const object = value.$tributary_output.object;
  try {
    const resolved = await outputs.get(value);
    return resolved !== null ? resolved : missing(taskId, upstream, object);
  } catch (error) {
    if (!(error instanceof TributaryError && error.code === Code.DataLoss)) throw error;
    return corrupt(taskId, upstream, error);
  }
}

function missing(taskId: string, upstream: string, object: string): FailedInput {
  return new FailedInput({
    type: 'OutputMissing',
    message:
      `task '${taskId}' cannot get its input from upstream task '${upstream}': the output object ${object} ` +
      `is no longer in the object store (deleted or expired); run '${upstream}' again to recreate it`,
    retryable: false,
    details: { taskId, upstream, object },
  });
}

function corrupt(taskId: string, upstream: string, error: TributaryError): FailedInput {
  return new FailedInput({
    type: 'OutputCorrupt',
    message: `task '${taskId}' cannot use its input from upstream task '${upstream}': ${error.message}`,
    retryable: false,
    details: { taskId, upstream },
  });
}
