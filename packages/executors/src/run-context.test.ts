import { Code, TributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import {
  assertContextKey,
  CONTEXT_VALUE_MAX_BYTES,
  checkContextValue,
  createMemoryContextStore,
  readWholeContext,
} from './run-context.js';

describe('assertContextKey', () => {
  it.each(['rows', 'a', 'x'.repeat(128), 'meta.source', 'A-b_c.9'])('accepts %s', (key) => {
    expect(() => assertContextKey(key)).not.toThrow();
  });

  it.each([
    ['', 'must be 1-128 characters long, got 0'],
    ['x'.repeat(129), 'must be 1-128 characters long, got 129'],
    ['has space', 'may only hold the characters [A-Za-z0-9_.-]'],
    ['a/b', 'may only hold the characters [A-Za-z0-9_.-]'],
    ['a*', 'may only hold the characters [A-Za-z0-9_.-]'],
    ['.rows', 'may neither start nor end with a dot'],
    ['rows.', 'may neither start nor end with a dot'],
    ['a..b', 'may neither start nor end with a dot'],
  ])('refuses %j, naming the key and the task', (key, problem) => {
    const error = catchError(() => assertContextKey(key, 'load'));
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe(Code.InvalidArgument);
    expect((error as TributaryError).message).toContain(`task 'load': context key '`);
    expect((error as TributaryError).message).toContain(problem);
  });

  it('refuses a key that is not a string', () => {
    expect(() => assertContextKey(7)).toThrow('context key (a number) must be a string');
  });
});

describe('checkContextValue', () => {
  it('accepts JSON text of exactly 1 MiB and refuses one byte more, naming the key', () => {
    expect(() => checkContextValue('big', 'x'.repeat(CONTEXT_VALUE_MAX_BYTES))).not.toThrow();
    expect(() => checkContextValue('big', 'x'.repeat(CONTEXT_VALUE_MAX_BYTES + 1), 'load')).toThrow(
      "task 'load': context value of key 'big' is 1048577 bytes of JSON, over the limit of 1048576 bytes",
    );
  });

  it('counts UTF-8 bytes, not characters', () => {
    expect(() => checkContextValue('k', 'é'.repeat(CONTEXT_VALUE_MAX_BYTES / 2 + 1))).toThrow(
      '1048578 bytes',
    );
  });
});

describe('the memory context store', () => {
  it('returns what was set, undefined for a missing key, and the keys sorted', async () => {
    const store = createMemoryContextStore();
    await store.set('rows', 42);
    await store.set('a.b', { nested: [1, 'two'] });
    expect(await store.get('rows')).toBe(42);
    expect(await store.get('a.b')).toEqual({ nested: [1, 'two'] });
    expect(await store.get('missing')).toBeUndefined();
    expect(await store.keys()).toEqual(['a.b', 'rows']);
    expect(store.snapshot()).toEqual({ 'a.b': { nested: [1, 'two'] }, rows: 42 });
    expect(await readWholeContext(store)).toEqual(store.snapshot());
  });

  it('keeps a copy, so that changing a value after set or get does not change the store', async () => {
    const store = createMemoryContextStore();
    const value = { n: 1 };
    await store.set('v', value);
    value.n = 2;
    const read = (await store.get('v')) as { n: number };
    read.n = 3;
    expect(await store.get('v')).toEqual({ n: 1 });
  });

  it('refuses an invalid key and a value over 1 MiB', async () => {
    const store = createMemoryContextStore();
    await expect(store.set('bad key', 1)).rejects.toThrow("context key 'bad key'");
    await expect(store.get('bad key')).rejects.toThrow("context key 'bad key'");
    await expect(store.set('big', 'x'.repeat(CONTEXT_VALUE_MAX_BYTES))).rejects.toThrow(
      "context value of key 'big' is 1048578 bytes",
    );
  });
});

function catchError(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
