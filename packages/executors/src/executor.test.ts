import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Code, TributaryError } from '@tributary/core';
import type { TaskModel } from '@tributary/spec';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createExecutor } from './executor.js';
import { assertBuilt } from './test-fixtures/ensure-built.js';
import { nodeRequest, shellRequest } from './test-fixtures/requests.js';
import type { TaskExecutor } from './types.js';

let executor: TaskExecutor | undefined;

beforeAll(() => assertBuilt());

afterEach(async () => {
  await executor?.close();
  executor = undefined;
});

describe('createExecutor', () => {
  it('dispatches node and shell tasks by kind', async () => {
    executor = createExecutor({ maxThreads: 1 });
    const [node, shell] = await Promise.all([
      executor.execute(nodeRequest({ module: './plain-module.mjs' }, { params: { n: 2 } })),
      executor.execute(shellRequest('echo 7')),
    ]);
    expect(node.output).toEqual({ kind: 'mjs', doubled: 4 });
    expect(shell.output).toBe(7);
  });

  it('fails an attempt of a kind it does not know without throwing', async () => {
    executor = createExecutor();
    const request = shellRequest('true');
    const task = { ...request.task, kind: 'spark' } as unknown as TaskModel;
    const result = await executor.execute({ ...request, task });
    expect(result.outcome).toBe('failed');
    expect(result.error).toEqual({
      type: 'UnsupportedTaskKind',
      message: "task 'extract': this worker cannot run tasks of kind 'spark'",
      retryable: false,
    });
  });

  it('refuses new attempts once closed', async () => {
    executor = createExecutor();
    await executor.close();
    const attempt = executor.execute(shellRequest('true'));
    await expect(attempt).rejects.toThrow(TributaryError);
    await expect(attempt).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: 'the executor is closed',
    });
  });

  it('rejects invalid options naming the field', () => {
    expect(() => createExecutor({ maxThreads: 0 })).toThrow(
      "executor option 'maxThreads' must be an integer >= 1",
    );
  });

  it('leaves no thread, process or timer behind after close, so the process exits on its own', async () => {
    const script = fileURLToPath(new URL('./test-fixtures/exit-after-close.mjs', import.meta.url));
    // execFile's timeout kills the script if something keeps it alive, failing the test.
    const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 10_000 });
    expect(JSON.parse(stdout)).toEqual([
      'succeeded',
      'succeeded',
      'timed_out',
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
  });
});
