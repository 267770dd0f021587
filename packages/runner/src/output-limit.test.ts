import { Code, DEFAULT_OUTPUT_MAX_BYTES, TributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { checkOutputSize, resolveOutputMaxBytes } from './output-limit.js';

describe('checkOutputSize', () => {
  it('accepts an output of exactly the limit, counted in UTF-8 bytes of JSON', () => {
    // {"s":"é"} is 10 bytes: é takes two.
    expect(checkOutputSize('t', { s: 'é' }, 10)).toBeUndefined();
  });

  it('fails an output one byte over with OutputTooLarge naming the task, size, limit and option', () => {
    const failure = checkOutputSize('extract', { s: 'é' }, 9);
    expect(failure).toEqual({
      type: 'OutputTooLarge',
      message:
        "task 'extract' returned an output of 10 B (10 bytes of JSON), over the limit of 9 B (9 bytes): " +
        "return less (write bulk data to shared storage and return where it is), or raise the local runner's " +
        'outputMaxBytes option',
      retryable: false,
      details: { taskId: 'extract', bytes: 10, maxBytes: 9 },
    });
  });

  it('measures null, which a task without output returns', () => {
    expect(checkOutputSize('t', null, 4)).toBeUndefined();
    expect(checkOutputSize('t', null, 3)?.type).toBe('OutputTooLarge');
  });
});

describe('resolveOutputMaxBytes', () => {
  it('defaults to the workers’ 64 MiB and keeps a given value', () => {
    expect(resolveOutputMaxBytes(undefined)).toBe(DEFAULT_OUTPUT_MAX_BYTES);
    expect(DEFAULT_OUTPUT_MAX_BYTES).toBe(64 * 1024 * 1024);
    expect(resolveOutputMaxBytes(1000)).toBe(1000);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses %d naming the option', (value) => {
    let error: unknown;
    try {
      resolveOutputMaxBytes(value);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe(Code.InvalidArgument);
    expect((error as TributaryError).message).toBe(
      `outputMaxBytes must be a positive integer (bytes), got ${value}`,
    );
    expect((error as TributaryError).problems).toEqual([
      { field: 'outputMaxBytes', message: `must be a positive integer (bytes), got ${value}` },
    ]);
  });
});
