import { create } from '@bufbuild/protobuf';
import {
  ATTEMPT_STATES,
  type Failure,
  type JsonValue,
  type Problem,
  RUN_STATES,
  TASK_STATES,
  TributaryError,
} from '@tributary/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attemptStateFromProto,
  attemptStateToProto,
  failureFromProto,
  failureToProto,
  jsonToValue,
  millisFromTimestamp,
  problemFromProto,
  problemToProto,
  runStateFromProto,
  runStateToProto,
  taskStateFromProto,
  taskStateToProto,
  timestamp,
  valueToJson,
  type WorkerStateName,
  workerStateFromProto,
  workerStateToProto,
} from './convert.js';
import {
  AttemptState as AttemptStatePb,
  FailureSchema,
  type RunState as RunStatePb,
  TaskState as TaskStatePb,
  WorkerState as WorkerStatePb,
} from './gen/tributary/v1/types_pb.js';

// JSON as protobuf's Struct/Value can carry it: numbers are doubles, and -0 has no JSON spelling.
/**
 * Whether a `__proto__` key occurs anywhere in `value`. protobuf-es keeps a Struct's fields in a plain
 * object, where assigning that key sets the prototype instead, so such a key cannot cross the wire (a
 * known limitation of the converters, left out of the round-trip property).
 */
function hasProtoKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasProtoKey);
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([key, inner]) => key === '__proto__' || hasProtoKey(inner));
}

const json: fc.Arbitrary<JsonValue> = fc
  .jsonValue({ noUnicodeString: false })
  .map((value) => JSON.parse(JSON.stringify(value)))
  .filter((value) => !hasProtoKey(value)) as fc.Arbitrary<JsonValue>;
const jsonObject = fc.dictionary(fc.string(), json);
const nonEmpty = fc.string({ minLength: 1 });

const failure: fc.Arbitrary<Failure> = fc.letrec<{ failure: Failure }>((tie) => ({
  failure: fc.record(
    {
      message: fc.string(),
      type: fc.string(),
      retryable: fc.boolean(),
      details: jsonObject,
      stack: nonEmpty,
      cause: fc.option(tie('failure'), { nil: undefined, depthSize: 'small' }),
    },
    { requiredKeys: ['message', 'type', 'retryable'] },
  ) as fc.Arbitrary<Failure>,
})).failure;

const problem: fc.Arbitrary<Problem> = fc.record(
  {
    message: fc.string(),
    position: fc.record({
      file: fc.string(),
      line: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
      column: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
    }),
    taskId: nonEmpty,
    field: nonEmpty,
  },
  { requiredKeys: ['message'] },
);

describe('failure converters', () => {
  it('round-trip any failure, including details and a cause chain', () => {
    fc.assert(
      fc.property(failure, (value) => {
        // Drop keys explicitly set to undefined: the wire has no way to say "present but undefined".
        expect(failureFromProto(failureToProto(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('make details JSON-safe instead of failing on bigints, functions and cycles', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const withOddValues = failureToProto({
      message: 'm',
      type: 'Error',
      retryable: false,
      details: { big: 10n, fn: () => 1, missing: undefined, nan: Number.NaN },
    });
    expect(withOddValues.details).toEqual({ big: '10', nan: null });
    const withCycle = failureToProto({ message: 'm', type: 'Error', retryable: false, details: cyclic });
    expect(Object.keys(withCycle.details ?? {})).toEqual(['unserializable']);
  });

  it('turn an empty stack into an absent one', () => {
    const message = create(FailureSchema, { message: 'boom', type: 'Error', retryable: true });
    expect(failureFromProto(message)).toEqual({ message: 'boom', type: 'Error', retryable: true });
  });
});

describe('problem converters', () => {
  it('round-trip any problem with a 1-based position', () => {
    fc.assert(
      fc.property(problem, (value) => {
        expect(problemFromProto(problemToProto(value))).toEqual(value);
      }),
    );
  });
});

describe('state converters', () => {
  it('round-trip every task, run and attempt state to distinct enum values', () => {
    expect(TASK_STATES.map((s) => taskStateFromProto(taskStateToProto(s)))).toEqual(TASK_STATES);
    expect(RUN_STATES.map((s) => runStateFromProto(runStateToProto(s)))).toEqual(RUN_STATES);
    expect(ATTEMPT_STATES.map((s) => attemptStateFromProto(attemptStateToProto(s)))).toEqual(ATTEMPT_STATES);
    expect(new Set(TASK_STATES.map(taskStateToProto)).size).toBe(TASK_STATES.length);
  });

  it('map names to the matching enum member', () => {
    expect(taskStateToProto('up_for_retry')).toBe(TaskStatePb.UP_FOR_RETRY);
    expect(attemptStateToProto('timed_out')).toBe(AttemptStatePb.TIMED_OUT);
  });

  it('reject UNSPECIFIED and unknown values with InvalidArgument', () => {
    expect(() => taskStateFromProto(TaskStatePb.UNSPECIFIED)).toThrow(/unknown task state 0/);
    expect(() => runStateFromProto(99 as RunStatePb)).toThrow(TributaryError);
  });

  it('map every worker state name to its own enum member and back', () => {
    const names: WorkerStateName[] = ['live', 'stopped', 'unresponsive'];
    expect(names.map(workerStateToProto)).toEqual([
      WorkerStatePb.LIVE,
      WorkerStatePb.STOPPED,
      WorkerStatePb.UNRESPONSIVE,
    ]);
    expect(names.map((name) => workerStateFromProto(workerStateToProto(name)))).toEqual(names);
    expect(() => workerStateFromProto(WorkerStatePb.UNSPECIFIED)).toThrow(/unknown worker state 0/);
  });
});

describe('timestamp converters', () => {
  it('round-trip any millisecond instant, including before 1970', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), (ms) => {
        expect(millisFromTimestamp(timestamp(ms))).toBe(ms);
      }),
    );
  });

  it('keep undefined as undefined', () => {
    expect(timestamp(undefined)).toBeUndefined();
    expect(millisFromTimestamp(undefined)).toBeUndefined();
  });
});

describe('JSON value converters', () => {
  it('round-trip any JSON value', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(valueToJson(jsonToValue(value))).toEqual(value);
      }),
    );
  });
});
