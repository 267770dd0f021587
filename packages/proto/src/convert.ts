import { create, fromJson, toJson } from '@bufbuild/protobuf';
import {
  type Timestamp,
  timestampFromMs,
  timestampMs,
  type Value,
  ValueSchema,
} from '@bufbuild/protobuf/wkt';
import type {
  AttemptState,
  Failure,
  JsonObject,
  JsonValue,
  Problem,
  RunState,
  RunType,
  TaskState,
} from '@tributary/core';
import { Code, TributaryError } from '@tributary/core';
import {
  AttemptState as AttemptStatePb,
  type Failure as FailurePb,
  FailureSchema,
  type Problem as ProblemPb,
  ProblemSchema,
  RunState as RunStatePb,
  RunType as RunTypePb,
  TaskState as TaskStatePb,
  WorkerState as WorkerStatePb,
} from './gen/tributary/v1/types_pb.js';

// One pair of converters per concept, so that every boundary (gRPC, NATS, worker threads) agrees on
// how a core value looks on the wire.

/** Converts a core {@link Failure} (and its cause chain) to its protobuf message. */
export function failureToProto(failure: Failure): FailurePb {
  return create(FailureSchema, {
    message: failure.message,
    type: failure.type,
    retryable: failure.retryable,
    details: failure.details === undefined ? undefined : toJsonObject(failure.details),
    stack: failure.stack ?? '',
    cause: failure.cause === undefined ? undefined : failureToProto(failure.cause),
  });
}

/** Converts a protobuf `Failure` back to a core {@link Failure}; an empty stack becomes absent. */
export function failureFromProto(message: FailurePb): Failure {
  const failure: Failure = { message: message.message, type: message.type, retryable: message.retryable };
  if (message.details !== undefined) failure.details = message.details;
  if (message.stack !== '') failure.stack = message.stack;
  if (message.cause !== undefined) failure.cause = failureFromProto(message.cause);
  return failure;
}

/** Converts a core {@link Problem} to its protobuf message (the position is flattened). */
export function problemToProto(problem: Problem): ProblemPb {
  return create(ProblemSchema, {
    message: problem.message,
    file: problem.position?.file ?? '',
    line: problem.position?.line ?? 0,
    column: problem.position?.column ?? 0,
    taskId: problem.taskId ?? '',
    field: problem.field ?? '',
  });
}

/**
 * Converts a protobuf `Problem` back to a core {@link Problem}. Empty strings become absent fields; a
 * position is present when any of its parts is set (lines and columns are 1-based, so 0 means unset).
 */
export function problemFromProto(message: ProblemPb): Problem {
  const problem: Problem = { message: message.message };
  if (message.file !== '' || message.line !== 0 || message.column !== 0) {
    problem.position = { file: message.file, line: message.line, column: message.column };
  }
  if (message.taskId !== '') problem.taskId = message.taskId;
  if (message.field !== '') problem.field = message.field;
  return problem;
}

const TASK_STATES: Record<TaskState, TaskStatePb> = {
  pending: TaskStatePb.PENDING,
  queued: TaskStatePb.QUEUED,
  running: TaskStatePb.RUNNING,
  up_for_retry: TaskStatePb.UP_FOR_RETRY,
  succeeded: TaskStatePb.SUCCEEDED,
  failed: TaskStatePb.FAILED,
  upstream_failed: TaskStatePb.UPSTREAM_FAILED,
  skipped: TaskStatePb.SKIPPED,
  cancelled: TaskStatePb.CANCELLED,
  up_for_reschedule: TaskStatePb.UP_FOR_RESCHEDULE,
};

const RUN_STATES: Record<RunState, RunStatePb> = {
  running: RunStatePb.RUNNING,
  succeeded: RunStatePb.SUCCEEDED,
  failed: RunStatePb.FAILED,
  cancelled: RunStatePb.CANCELLED,
  queued: RunStatePb.QUEUED,
};

const ATTEMPT_STATES: Record<AttemptState, AttemptStatePb> = {
  queued: AttemptStatePb.QUEUED,
  running: AttemptStatePb.RUNNING,
  succeeded: AttemptStatePb.SUCCEEDED,
  failed: AttemptStatePb.FAILED,
  timed_out: AttemptStatePb.TIMED_OUT,
  lost: AttemptStatePb.LOST,
  cancelled: AttemptStatePb.CANCELLED,
  skipped: AttemptStatePb.SKIPPED,
  rescheduled: AttemptStatePb.RESCHEDULED,
};

/** Converts a core task state name to the protobuf enum. */
export function taskStateToProto(state: TaskState): TaskStatePb {
  return TASK_STATES[state];
}

/**
 * Converts a protobuf task state to the core name.
 * @throws TributaryError `InvalidArgument` for `UNSPECIFIED` or a value this build does not know.
 */
export function taskStateFromProto(state: TaskStatePb): TaskState {
  return reverseLookup(TASK_STATES, state, 'task state');
}

/** Converts a core run state name to the protobuf enum. */
export function runStateToProto(state: RunState): RunStatePb {
  return RUN_STATES[state];
}

/**
 * Converts a protobuf run state to the core name.
 * @throws TributaryError `InvalidArgument` for `UNSPECIFIED` or a value this build does not know.
 */
export function runStateFromProto(state: RunStatePb): RunState {
  return reverseLookup(RUN_STATES, state, 'run state');
}

const RUN_TYPES: Record<RunType, RunTypePb> = {
  manual: RunTypePb.MANUAL,
  scheduled: RunTypePb.SCHEDULED,
  backfill: RunTypePb.BACKFILL,
  event: RunTypePb.EVENT,
  after: RunTypePb.AFTER,
};

/** Converts a core run type name to the protobuf enum. */
export function runTypeToProto(type: RunType): RunTypePb {
  return RUN_TYPES[type];
}

/**
 * Converts a protobuf run type to the core name.
 * @throws TributaryError `InvalidArgument` for `UNSPECIFIED` or a value this build does not know.
 */
export function runTypeFromProto(type: RunTypePb): RunType {
  return reverseLookup(RUN_TYPES, type, 'run type');
}

/** Converts a core attempt state name to the protobuf enum. */
export function attemptStateToProto(state: AttemptState): AttemptStatePb {
  return ATTEMPT_STATES[state];
}

/**
 * Converts a protobuf attempt state to the core name.
 * @throws TributaryError `InvalidArgument` for `UNSPECIFIED` or a value this build does not know.
 */
export function attemptStateFromProto(state: AttemptStatePb): AttemptState {
  return reverseLookup(ATTEMPT_STATES, state, 'attempt state');
}

/**
 * A worker's state as `ListWorkers` reports it: `live` (a heartbeat within the coordinator's heartbeat
 * timeout), `stopped` (its last heartbeat said it was stopping) or `unresponsive` (no heartbeat for the
 * timeout).
 */
export type WorkerStateName = 'live' | 'stopped' | 'unresponsive';

const WORKER_STATES: Record<WorkerStateName, WorkerStatePb> = {
  live: WorkerStatePb.LIVE,
  stopped: WorkerStatePb.STOPPED,
  unresponsive: WorkerStatePb.UNRESPONSIVE,
};

/** Converts a worker state name to the protobuf enum. */
export function workerStateToProto(state: WorkerStateName): WorkerStatePb {
  return WORKER_STATES[state];
}

/**
 * Converts a protobuf worker state to its name.
 * @throws TributaryError `InvalidArgument` for `UNSPECIFIED` or a value this build does not know.
 */
export function workerStateFromProto(state: WorkerStatePb): WorkerStateName {
  return reverseLookup(WORKER_STATES, state, 'worker state');
}

function reverseLookup<K extends string>(table: Record<K, number>, value: number, what: string): K {
  for (const [name, number] of Object.entries(table) as [K, number][]) {
    if (number === value) return name;
  }
  // A peer built from a newer .proto can send a state this build lacks: say so instead of guessing.
  throw new TributaryError(Code.InvalidArgument, `unknown ${what} ${value}`);
}

/** Converts epoch milliseconds to a protobuf `Timestamp`; `undefined` stays `undefined`. */
export function timestamp(ms: number): Timestamp;
export function timestamp(ms: number | undefined): Timestamp | undefined;
export function timestamp(ms: number | undefined): Timestamp | undefined {
  return ms === undefined ? undefined : timestampFromMs(ms);
}

/** Converts a protobuf `Timestamp` to epoch milliseconds; `undefined` stays `undefined`. */
export function millisFromTimestamp(value: Timestamp): number;
export function millisFromTimestamp(value: Timestamp | undefined): number | undefined;
export function millisFromTimestamp(value: Timestamp | undefined): number | undefined {
  return value === undefined ? undefined : timestampMs(value);
}

/**
 * Converts JSON to a `google.protobuf.Value` message. protobuf-es unwraps `Struct` fields to
 * `JsonObject` by itself, but not `Value` fields (task outputs, inputs), hence this pair.
 */
export function jsonToValue(json: JsonValue): Value {
  return fromJson(ValueSchema, json);
}

/** Converts a `google.protobuf.Value` message to JSON. */
export function valueToJson(value: Value): JsonValue {
  // protobuf-es types JsonValue as its own (structurally identical) union.
  return toJson(ValueSchema, value) as JsonValue;
}

/**
 * Makes arbitrary error details JSON-safe for a `Struct`: drops undefined and functions, turns bigints
 * into strings and non-finite numbers into null (JSON's own rules), and survives cyclic objects.
 */
function toJsonObject(details: Record<string, unknown>): JsonObject {
  try {
    const text = JSON.stringify(details, (_key, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : value,
    );
    const parsed: unknown = text === undefined ? {} : JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as JsonObject)
      : {};
  } catch (error) {
    // Cyclic details: keep the failure itself rather than failing to report it.
    return { unserializable: error instanceof Error ? error.message : String(error) };
  }
}
