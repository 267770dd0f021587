import { describe, expect, it } from 'vitest';
import { encodeJson, jsonByteLength, outputTooLargeFailure } from './output-size.js';

describe('jsonByteLength', () => {
  it('counts UTF-8 bytes of the JSON text, not characters', () => {
    // "é" is 2 bytes and "€" 3 in UTF-8; the quotes, braces, colon and key add 8.
    expect(jsonByteLength({ k: 'é€' })).toBe(8 + 5);
    expect(jsonByteLength(null)).toBe(4);
  });

  it('agrees with the length of encodeJson, which is the JSON text as bytes', () => {
    const value = { list: [1, 2.5, 'ü', null, true], nested: { deep: ['x'.repeat(1000)] } };
    const bytes = encodeJson(value);
    expect(bytes.byteLength).toBe(jsonByteLength(value));
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual(value);
  });
});

describe('outputTooLargeFailure', () => {
  it('names the task, the size, the limit and how to raise it, and is not retryable', () => {
    const failure = outputTooLargeFailure('extract', 2_097_152, 1_048_576, 'raise X_LIMIT');
    expect(failure).toMatchObject({
      type: 'OutputTooLarge',
      retryable: false,
      details: { taskId: 'extract', bytes: 2_097_152, maxBytes: 1_048_576 },
    });
    expect(failure.message).toBe(
      "task 'extract' returned an output of 2 MiB (2097152 bytes of JSON), over the limit of 1 MiB " +
        '(1048576 bytes): return less (write bulk data to shared storage and return where it is), or ' +
        'raise X_LIMIT',
    );
  });
});
