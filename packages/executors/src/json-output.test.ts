import { describe, expect, it } from 'vitest';
import { toJsonOutput } from './json-output.js';

describe('toJsonOutput', () => {
  it('returns plain JSON, with undefined as null and dates as strings', () => {
    expect(toJsonOutput(undefined, 't')).toEqual({ ok: true, output: null });
    const at = new Date('2024-01-31T00:00:00Z');
    expect(toJsonOutput({ at, list: [1, 'a', null], skip: undefined }, 't')).toEqual({
      ok: true,
      output: { at: '2024-01-31T00:00:00.000Z', list: [1, 'a', null] },
    });
  });

  it('accepts the same object referenced twice, which is not a cycle', () => {
    const shared = { id: 1 };
    expect(toJsonOutput({ a: shared, b: [shared] }, 't')).toEqual({
      ok: true,
      output: { a: { id: 1 }, b: [{ id: 1 }] },
    });
  });

  it.each([
    [() => 1, 'a function at output'],
    [{ n: 10n }, 'a bigint at output.n'],
    [[1, Symbol('s')], 'a symbol at output[1]'],
    [{ m: new Map() }, 'a Map at output.m'],
    [{ rows: [new Set()] }, 'a Set at output.rows[0]'],
  ])('refuses %o naming the task and what is wrong where', (value, problem) => {
    const result = toJsonOutput(value, 'load');
    expect(result).toEqual({
      ok: false,
      error: {
        type: 'OutputError',
        message: `task 'load' returned an output that is not JSON-serialisable: ${problem}`,
        retryable: false,
      },
    });
  });

  it('refuses a cycle', () => {
    const list: unknown[] = [];
    list.push({ back: list });
    const result = toJsonOutput(list, 'load');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.message).toContain('a circular reference at output[0].back');
  });

  it('refuses a toJSON that throws', () => {
    const result = toJsonOutput({ toJSON: () => 1n }, 'load');
    expect(!result.ok && result.error.message).toMatch(/not JSON-serialisable: .*BigInt/i);
  });
});
