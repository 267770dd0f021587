import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNodeExecutor, type NodeExecutor } from './node-executor.js';
import { compileExecutorOptions } from './options.js';
import { assertBuilt } from './test-fixtures/ensure-built.js';
import { nodeRequest } from './test-fixtures/requests.js';
import type { ExecutionRequest, ExecutorOptions, LogLine } from './types.js';

const scratch = mkdtempSync(join(tmpdir(), 'tributary-node-'));
let executor: NodeExecutor | undefined;

function open(options: ExecutorOptions = {}): NodeExecutor {
  executor = createNodeExecutor(compileExecutorOptions({ maxThreads: 2, killGraceMs: 200, ...options }));
  return executor;
}

function execute(request: ExecutionRequest, options?: Parameters<NodeExecutor['execute']>[2]) {
  if (request.task.kind !== 'node') throw new Error('node requests only');
  return (executor ?? open()).execute(request, request.task, options);
}

beforeAll(() => assertBuilt());

afterEach(async () => {
  await executor?.close();
  executor = undefined;
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('node executor', () => {
  it('returns the output computed from params and upstream inputs by a typed TS module', async () => {
    const result = await execute(
      nodeRequest({}, { params: { base: 10 }, inputs: { extract: { count: 5 } } }),
    );
    expect(result).toMatchObject({ outcome: 'succeeded', output: { total: 15, from: ['extract'] } });
    expect(result.finishedAt).toBeGreaterThanOrEqual(result.startedAt);
  });

  it('runs a plain .mjs module', async () => {
    const result = await execute(nodeRequest({ module: './plain-module.mjs' }, { params: { n: 21 } }));
    expect(result).toMatchObject({ outcome: 'succeeded', output: { kind: 'mjs', doubled: 42 } });
  });

  it('passes run id, task id, attempt, task env and traceparent in ctx', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const request = nodeRequest(
      { id: 'describe', export: 'describeContext', env: { REGION: 'eu' } },
      { runId: 'run-42', attempt: 3, traceparent },
    );
    const result = await execute(request);
    expect(result.output).toEqual({
      runId: 'run-42',
      taskId: 'describe',
      attempt: 3,
      env: { REGION: 'eu' },
      traceparent,
      aborted: false,
    });
  });

  it('turns an undefined return value into a null output', async () => {
    const result = await execute(nodeRequest({ export: 'returnsNothing' }));
    expect(result).toMatchObject({ outcome: 'succeeded', output: null });
  });

  it('fails with the thrown error message and type', async () => {
    const result = await execute(nodeRequest({ export: 'throwsRangeError' }));
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatchObject({
      type: 'RangeError',
      message: 'base must be positive',
      retryable: true,
    });
    expect(result.error?.stack).toContain('throwsRangeError');
  });

  it('fails naming the task and the path when the output holds a function', async () => {
    const result = await execute(nodeRequest({ id: 'fn', export: 'returnsFunction' }));
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatchObject({ type: 'OutputError', retryable: false });
    expect(result.error?.message).toBe(
      "task 'fn' returned an output that is not JSON-serialisable: a function at output.callback",
    );
  });

  it('fails when the output is cyclic', async () => {
    const result = await execute(nodeRequest({ export: 'returnsCycle' }));
    expect(result.error?.message).toContain('a circular reference at output.self');
  });

  it('fails clearly when the module has no such export', async () => {
    const result = await execute(nodeRequest({ export: 'missing' }));
    expect(result.outcome).toBe('failed');
    expect(result.error?.message).toMatch(/has no exported function 'missing'/);
  });

  it('fails without loading anything when the module points outside the bundle', async () => {
    const result = await execute(nodeRequest({ module: '../node-executor.ts' }));
    expect(result.error).toMatchObject({ type: 'TaskModuleError', retryable: false });
    expect(result.error?.message).toContain('outside the bundle folder');
  });

  it('fails when the module does not exist', async () => {
    const result = await execute(nodeRequest({ module: './nope.ts' }));
    expect(result.outcome).toBe('failed');
    expect(result.error?.message).toContain('nope.ts');
  });

  it('times out and kills the thread of a task that ignores its signal', async () => {
    open({ maxThreads: 1, killGraceMs: 100 });
    const result = await execute(nodeRequest({ id: 'spin', export: 'busyLoop', timeoutMs: 200 }));
    expect(result.outcome).toBe('timed_out');
    expect(result.error).toMatchObject({ type: 'TimeoutError', details: { timeoutMs: 200 } });
    expect(result.error?.message).toBe("task 'spin' timed out after 200ms (timeout 200 ms)");
    // With one thread, a second task can only run if the spinning thread was really terminated.
    const next = await execute(nodeRequest({ export: 'returnsNothing' }));
    expect(next.outcome).toBe('succeeded');
  });

  it('kills a task that ignores its signal on a thread that has run a task before', async () => {
    open({ maxThreads: 1, killGraceMs: 100 });
    // A warm thread takes the task at once; the kill must find that thread and end it.
    await execute(nodeRequest({ export: 'returnsNothing' }));
    const result = await execute(nodeRequest({ id: 'spin', export: 'busyLoop', timeoutMs: 200 }));
    expect(result.outcome).toBe('timed_out');
    const next = await execute(nodeRequest({ export: 'returnsNothing' }));
    expect(next.outcome).toBe('succeeded');
  });

  it('drops a task cancelled while it waits for a thread, without running it', async () => {
    open({ maxThreads: 1 });
    const counter = join(scratch, 'never-poked');
    const controller = new AbortController();
    const first = execute(nodeRequest({ export: 'slow' }, { params: { ms: 300 } }));
    const waiting = execute(nodeRequest({ export: 'countingSensor' }, { params: { counter, after: 1 } }), {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    expect(await waiting).toMatchObject({ outcome: 'cancelled', error: { type: 'CancelledError' } });
    expect((await first).output).toBe('slept 300');
    // The one thread is free again, and the dropped task never wrote its counter.
    expect(await execute(nodeRequest({ export: 'returnsNothing' }))).toMatchObject({ outcome: 'succeeded' });
    expect(existsSync(counter)).toBe(false);
  });

  it('aborts the task signal on timeout so that a well-behaved task stops without being killed', async () => {
    open({ maxThreads: 1, killGraceMs: 10_000 });
    // The clock includes loading the module; load it first so the 100 ms go to the task itself.
    await execute(nodeRequest({ export: 'returnsNothing' }));
    const started = Date.now();
    const result = await execute(nodeRequest({ export: 'waitsForAbort', timeoutMs: 100 }));
    expect(result.outcome).toBe('timed_out');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.logTail).toEqual(['waiting']);
  });

  it('cancels a running task when the caller aborts', async () => {
    const controller = new AbortController();
    const running = execute(nodeRequest({ export: 'waitsForAbort' }), {
      signal: controller.signal,
      onLog: () => controller.abort(),
    });
    const result = await running;
    expect(result.outcome).toBe('cancelled');
    expect(result.error).toMatchObject({ type: 'CancelledError', retryable: false });
  });

  it('does not start a task whose signal is already aborted', async () => {
    const result = await execute(nodeRequest({ export: 'describeContext' }), { signal: AbortSignal.abort() });
    expect(result.outcome).toBe('cancelled');
    expect(result.output).toBeUndefined();
  });

  it('streams ctx.log and console lines in order and keeps a bounded tail', async () => {
    open({ logTailLines: 3 });
    const lines: LogLine[] = [];
    const result = await execute(nodeRequest({ export: 'logsLines' }, { params: { count: 8 } }), {
      onLog: (line) => lines.push(line),
    });
    expect(result.output).toBe('done');
    expect(lines.map((line) => line.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => `line ${n}`));
    expect(lines.slice(0, 4).map((line) => [line.stream, line.level])).toEqual([
      ['log', 'info'],
      ['log', 'warn'],
      ['stdout', undefined],
      ['stderr', undefined],
    ]);
    expect(result.logTail).toEqual(['line 6', 'line 7', 'line 8']);
  });

  it('delivers every log line before the result, even when the result overtakes them', async () => {
    open({ logTailLines: 2 });
    const lines: string[] = [];
    // Lines travel on the thread's port and the result on piscina's. Holding up the first line lets the
    // thread post all the others and its result meanwhile; Node then hands over queued port messages in
    // batches, so the result is received before the last lines and the executor must wait for them.
    const result = await execute(nodeRequest({ export: 'logsLines' }, { params: { count: 5000 } }), {
      onLog: (line) => {
        if (lines.push(line.line) === 1) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      },
    });
    expect(result.output).toBe('done');
    expect(lines).toEqual(Array.from({ length: 5000 }, (_, index) => `line ${index + 1}`));
    expect(result.logTail).toEqual(['line 4999', 'line 5000']);
  });

  it('keeps the log lines of tasks running side by side on different threads apart', async () => {
    open({ maxThreads: 2 });
    const many: string[] = [];
    const few: string[] = [];
    await Promise.all([
      execute(nodeRequest({ export: 'logsLines' }, { params: { count: 200 } }), {
        onLog: (line) => many.push(line.line),
      }),
      execute(nodeRequest({ export: 'logsMultiline' }), { onLog: (line) => few.push(line.line) }),
    ]);
    expect(many).toEqual(Array.from({ length: 200 }, (_, index) => `line ${index + 1}`));
    expect(few).toEqual(['first', 'second']);
  });

  it('splits a multi-line log message into lines', async () => {
    const lines: LogLine[] = [];
    const result = await execute(nodeRequest({ export: 'logsMultiline' }), {
      onLog: (line) => lines.push(line),
    });
    expect(result.logTail).toEqual(['first', 'second']);
    expect(lines.map((line) => line.level)).toEqual(['error', 'error']);
  });

  it('runs tasks in parallel up to maxThreads', async () => {
    open({ maxThreads: 2 });
    const [first, second] = await Promise.all([
      execute(nodeRequest({ export: 'slow' }, { params: { ms: 300 } })),
      execute(nodeRequest({ export: 'slow' }, { params: { ms: 300 } })),
    ]);
    expect([first.output, second.output]).toEqual(['slept 300', 'slept 300']);
    // startedAt is when a thread picked the task up: each started before the other finished.
    expect(first.startedAt).toBeLessThan(second.finishedAt);
    expect(second.startedAt).toBeLessThan(first.finishedAt);
  });

  it('queues tasks beyond maxThreads and starts their clock only when a thread picks them up', async () => {
    open({ maxThreads: 1 });
    const [first, second] = await Promise.all([
      execute(nodeRequest({ export: 'slow' }, { params: { ms: 300 } })),
      // Would time out if the 300 ms spent queued behind the first task counted.
      execute(nodeRequest({ export: 'slow', timeoutMs: 250 }, { params: { ms: 10 } })),
    ]);
    expect(second.outcome).toBe('succeeded');
    expect(second.startedAt).toBeGreaterThanOrEqual(first.finishedAt - 5);
  });

  it('cancels a task that ignores its signal on a thread that has run a task before when closed', async () => {
    open({ maxThreads: 1 });
    await execute(nodeRequest({ export: 'returnsNothing' }));
    const running = execute(nodeRequest({ export: 'busyLoop' }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await executor?.close();
    expect(await running).toMatchObject({ outcome: 'cancelled', error: { retryable: true } });
  });

  it('cancels running tasks when closed', async () => {
    const running = execute(nodeRequest({ export: 'busyLoop' }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await executor?.close();
    const result = await running;
    expect(result.outcome).toBe('cancelled');
    expect(result.error).toMatchObject({ type: 'CancelledError', retryable: true });
  });
});

describe('node executor: skipping', () => {
  it('ends skipped, keeping the reason, when the task throws SkipTask', async () => {
    const result = await execute(
      nodeRequest({ id: 'load', export: 'throwsSkip' }, { params: { reason: 'no new rows' } }),
    );
    expect(result.outcome).toBe('skipped');
    expect(result.error).toEqual({ type: 'SkipTask', message: 'no new rows', retryable: false });
    expect(result.output).toBeUndefined();
    expect(result.logTail).toEqual(['checking for new rows']);
  });

  it('ends skipped with the default reason when the task calls ctx.skip()', async () => {
    const result = await execute(nodeRequest({ export: 'callsSkip' }));
    expect(result.outcome).toBe('skipped');
    expect(result.error).toEqual({ type: 'SkipTask', message: 'the task skipped itself', retryable: false });
  });
});

describe('node executor: one sensor poke', () => {
  const sensor = { mode: 'reschedule', intervalMs: 10, timeoutMs: 1000, softFail: false } as const;
  let pokes = 0;
  const poke = (params: Record<string, number | string>) =>
    execute(
      nodeRequest(
        { export: 'countingSensor', sensor },
        { params: { counter: join(scratch, `counter-${++pokes}`), ...params } },
      ),
    );

  it('is rescheduled when the function returns exactly false', async () => {
    const result = await poke({ after: 2 });
    expect(result).toMatchObject({ outcome: 'rescheduled', logTail: ['poke 1'] });
    expect(result.error).toBeUndefined();
    expect(result.output).toBeUndefined();
  });

  it('succeeds with a null output when the function returns true', async () => {
    expect(await poke({ after: 1 })).toMatchObject({ outcome: 'succeeded', output: null });
  });

  it('succeeds with any other value as the output, falsy ones included', async () => {
    expect(await poke({ after: 1, value: 'ready' })).toMatchObject({ outcome: 'succeeded', output: 'ready' });
    expect(await poke({ after: 1, value: 0 })).toMatchObject({ outcome: 'succeeded', output: 0 });
  });

  it('keeps false as a plain output for a task that is not a sensor', async () => {
    const request = nodeRequest(
      { export: 'countingSensor' },
      { params: { counter: join(scratch, 'plain'), after: 2 } },
    );
    expect(await execute(request)).toMatchObject({ outcome: 'succeeded', output: false });
  });
});
