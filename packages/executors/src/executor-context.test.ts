import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createExecutor } from './executor.js';
import { CONTEXT_VALUE_MAX_BYTES, createMemoryContextStore } from './run-context.js';
import { assertBuilt } from './test-fixtures/ensure-built.js';
import { nodeRequest, shellRequest } from './test-fixtures/requests.js';
import type { TaskExecutor } from './types.js';

let executor: TaskExecutor | undefined;

function open(): TaskExecutor {
  executor = createExecutor({ maxThreads: 1, killGraceMs: 200 });
  return executor;
}

beforeAll(() => assertBuilt());

afterEach(async () => {
  await executor?.close();
  executor = undefined;
});

describe('the run context of node tasks', () => {
  it('sets keys in the attempt store and reads them back, with the sorted key list', async () => {
    const context = createMemoryContextStore();
    await context.set('earlier', 'from upstream');
    const result = await open().execute(nodeRequest({ id: 'load', export: 'usesContext' }), { context });
    expect(result).toMatchObject({
      outcome: 'succeeded',
      output: { rows: 42, source: { from: 'load' }, missing: true, keys: ['earlier', 'meta.source', 'rows'] },
    });
    expect(context.snapshot()).toEqual({
      earlier: 'from upstream',
      'meta.source': { from: 'load' },
      rows: 42,
    });
  });

  it('fails the task with an error naming an invalid key, and stores nothing', async () => {
    const context = createMemoryContextStore();
    const request = nodeRequest(
      { id: 'load', export: 'setsContext' },
      { params: { key: 'no/slash', value: 1 } },
    );
    const result = await open().execute(request, { context });
    expect(result.outcome).toBe('failed');
    expect(result.error?.message).toContain("task 'load': context key 'no/slash' may only hold");
    expect(await context.keys()).toEqual([]);
  });

  it('fails the task with an error naming the key of a value over 1 MiB', async () => {
    const context = createMemoryContextStore();
    const request = nodeRequest(
      { id: 'load', export: 'setsContext' },
      { params: { key: 'big', size: CONTEXT_VALUE_MAX_BYTES } },
    );
    const result = await open().execute(request, { context });
    expect(result.outcome).toBe('failed');
    // The string's JSON text has two quotes more than its characters.
    expect(result.error?.message).toContain("task 'load': context value of key 'big' is 1048578 bytes");
    expect(await context.keys()).toEqual([]);
  });

  it('fails a task that uses the context when the executor was given no store', async () => {
    const request = nodeRequest({ id: 'load', export: 'setsContext' }, { params: { key: 'rows', value: 1 } });
    const result = await open().execute(request);
    expect(result.outcome).toBe('failed');
    expect(result.error?.message).toContain("task 'load': this run has no run context");
  });
});

describe('the run context of shell tasks', () => {
  it('is a JSON snapshot in TRIBUTARY_CONTEXT', async () => {
    const context = createMemoryContextStore();
    await context.set('rows', 42);
    await context.set('meta.source', { from: 'load' });
    const result = await open().execute(shellRequest('printf "%s\\n" "$TRIBUTARY_CONTEXT"'), { context });
    expect(result).toMatchObject({
      outcome: 'succeeded',
      output: { 'meta.source': { from: 'load' }, rows: 42 },
    });
  });

  it('is an empty object when there is no store', async () => {
    const result = await open().execute(shellRequest('printf "%s\\n" "$TRIBUTARY_CONTEXT"'));
    expect(result).toMatchObject({ outcome: 'succeeded', output: {} });
  });
});
