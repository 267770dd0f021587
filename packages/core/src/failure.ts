/**
 * An error as data. Errors cross every boundary (gRPC status details, NATS result messages, worker
 * threads) in this shape, never as flattened strings and never as class instances: structured clone
 * across a worker thread drops custom classes and their properties.
 */
export interface Failure {
  /** Human-readable message. */
  message: string;
  /** The error's type, e.g. `TypeError`, `TimeoutError`, `ShellExitError`. */
  type: string;
  /** Whether retrying the same work may succeed. */
  retryable: boolean;
  /** Structured details, e.g. `{ exitCode: 2 }`. */
  details?: Record<string, unknown>;
  stack?: string;
  cause?: Failure;
}

/** Converts anything thrown into a {@link Failure}. */
export function toFailure(error: unknown, depth = 0): Failure {
  if (error instanceof Error) {
    const extra = error as Error & { type?: unknown; retryable?: unknown; details?: unknown };
    const failure: Failure = {
      message: error.message,
      type: extra.type === undefined ? error.name : String(extra.type),
      retryable: extra.retryable !== false,
    };
    const details = extra.details;
    if (details !== null && typeof details === 'object') failure.details = details as Record<string, unknown>;
    if (error.stack !== undefined) failure.stack = error.stack;
    // Bounded so that a cyclic cause chain cannot loop forever.
    if (error.cause !== undefined && depth < 8) failure.cause = toFailure(error.cause, depth + 1);
    return failure;
  }
  if (isFailure(error)) return error;
  return {
    message: typeof error === 'string' ? error : safeStringify(error),
    type: 'Error',
    retryable: true,
  };
}

/** Whether a value already has the {@link Failure} shape (e.g. after crossing a thread). */
export function isFailure(value: unknown): value is Failure {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Failure).message === 'string' &&
    typeof (value as Failure).type === 'string' &&
    typeof (value as Failure).retryable === 'boolean'
  );
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
