import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { compileExecutorOptions } from './options.js';
import { createShellExecutor, type ShellExecutor } from './shell-executor.js';
import { isProcessRunning, readPids } from './test-fixtures/process-state.js';
import { shellRequest } from './test-fixtures/requests.js';
import type { ExecuteOptions, ExecutionRequest, ExecutorOptions, LogLine } from './types.js';

const scratch = mkdtempSync(join(tmpdir(), 'tributary-shell-'));
let executor: ShellExecutor | undefined;

function open(options: ExecutorOptions = {}): ShellExecutor {
  executor = createShellExecutor(compileExecutorOptions({ killGraceMs: 300, ...options }));
  return executor;
}

function execute(request: ExecutionRequest, options?: ExecuteOptions) {
  if (request.task.kind !== 'shell') throw new Error('shell requests only');
  return (executor ?? open()).execute(request, request.task, options);
}

afterEach(async () => {
  await executor?.close();
  executor = undefined;
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('shell executor', () => {
  it('succeeds with the last non-empty stdout line as JSON output', async () => {
    const result = await execute(shellRequest(`echo starting; echo '{"rows": 3}'; echo`));
    expect(result).toMatchObject({ outcome: 'succeeded', output: { rows: 3 } });
    expect(result.logTail).toEqual(['starting', '{"rows": 3}', '']);
  });

  it('outputs null when the last stdout line is not JSON', async () => {
    const result = await execute(shellRequest(`echo '{"rows": 3}'; echo done`));
    expect(result).toMatchObject({ outcome: 'succeeded', output: null });
  });

  it('gives inputs too large for one environment variable through TRIBUTARY_INPUTS_FILE', async () => {
    const big = 'x'.repeat(200 * 1024);
    const command = [
      'test -z "$TRIBUTARY_INPUT_BIG" || exit 3',
      'test -n "$TRIBUTARY_INPUT_SMALL" || exit 4',
      'wc -c < "$TRIBUTARY_INPUTS_FILE" | tr -d " "',
    ].join('\n');
    const result = await execute(shellRequest(command, {}, { inputs: { big, small: 1 } }));
    expect(result.error).toBeUndefined();
    expect(result.outcome).toBe('succeeded');
    expect(result.output).toBe(JSON.stringify({ big, small: 1 }).length);
  });

  it('runs in the bundle folder', async () => {
    const result = await execute(shellRequest('test -f node-tasks.ts && echo true'));
    expect(result.output).toBe(true);
  });

  it('fails with the exit code and keeps stderr in the tail', async () => {
    const result = await execute(shellRequest('echo "no such table" >&2; exit 3'));
    expect(result.outcome).toBe('failed');
    expect(result.error).toEqual({
      type: 'ShellExitError',
      message: 'command exited with code 3',
      retryable: true,
      details: { exitCode: 3, signal: null },
    });
    expect(result.logTail).toEqual(['no such table']);
  });

  it('reports a signal that killed the command', async () => {
    const result = await execute(shellRequest('kill -SEGV $$'));
    expect(result.error).toMatchObject({
      message: 'command killed by signal SIGSEGV',
      details: { signal: 'SIGSEGV' },
    });
  });

  it('streams stdout and stderr lines with their stream names', async () => {
    const lines: LogLine[] = [];
    await execute(shellRequest('echo one; echo two >&2; printf three'), {
      onLog: (line) => lines.push(line),
    });
    expect(lines.map((line) => [line.stream, line.line])).toEqual([
      ['stdout', 'one'],
      ['stderr', 'two'],
      ['stdout', 'three'],
    ]);
  });

  it('keeps only the last logTailLines lines', async () => {
    open({ logTailLines: 2 });
    const result = await execute(shellRequest('for i in 1 2 3 4 5; do echo $i; done'));
    expect(result.logTail).toEqual(['4', '5']);
  });

  it('passes params, inputs, ids and the task env as environment variables', async () => {
    const request = shellRequest(
      'node -e "const e = process.env; console.log(JSON.stringify([e.TRIBUTARY_RUN_ID, e.TRIBUTARY_TASK_ID, ' +
        'e.TRIBUTARY_ATTEMPT, JSON.parse(e.TRIBUTARY_PARAMS), JSON.parse(e.TRIBUTARY_INPUTS), ' +
        'JSON.parse(e.TRIBUTARY_INPUT_LOAD_V2), e.REGION, e.TRACEPARENT, e.FROM_BASE]))"',
      { id: 'report', env: { REGION: 'eu' } },
      {
        runId: 'run-9',
        attempt: 2,
        params: { date: '2024-01-31' },
        inputs: { 'load-v2': { rows: 7 } },
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
    );
    open({ baseEnv: { PATH: process.env.PATH, FROM_BASE: 'yes' } });
    const result = await execute(request);
    expect(result.output).toEqual([
      'run-9',
      'report',
      '2',
      { date: '2024-01-31' },
      { 'load-v2': { rows: 7 } },
      { rows: 7 },
      'eu',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'yes',
    ]);
  });

  it('times out and kills the whole process group, background grandchildren included', async () => {
    const pids = join(scratch, 'timeout.pids');
    const result = await execute(
      shellRequest(`sleep 100 & echo $! > ${pids}; sleep 100 & echo $! >> ${pids}; wait`, { timeoutMs: 300 }),
    );
    expect(result.outcome).toBe('timed_out');
    expect(result.error).toMatchObject({ type: 'TimeoutError', details: { timeoutMs: 300 } });
    const sleepers = readPids(pids);
    expect(sleepers).toHaveLength(2);
    expect(sleepers.filter(isProcessRunning)).toEqual([]);
  });

  it('kills a task that ignores SIGTERM once the grace period is over', async () => {
    open({ killGraceMs: 200 });
    const pids = join(scratch, 'stubborn.pids');
    const started = Date.now();
    // An ignored signal stays ignored across exec, so the sleep ignores SIGTERM too.
    const command = `trap '' TERM; sleep 100 & echo "$$ $!" > ${pids}; wait`;
    const result = await execute(shellRequest(command, { timeoutMs: 100 }));
    expect(result.outcome).toBe('timed_out');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(readPids(pids).filter(isProcessRunning)).toEqual([]);
  });

  it('cancels when the caller aborts, leaving no process behind', async () => {
    const pids = join(scratch, 'cancel.pids');
    const controller = new AbortController();
    const result = await execute(shellRequest(`echo $$ > ${pids}; echo ready; sleep 100`), {
      signal: controller.signal,
      onLog: () => controller.abort(),
    });
    expect(result.outcome).toBe('cancelled');
    expect(readPids(pids).filter(isProcessRunning)).toEqual([]);
  });

  it('kills background processes a successful command leaves behind', async () => {
    const pids = join(scratch, 'leftover.pids');
    const result = await execute(shellRequest(`sleep 100 & echo $! > ${pids}; echo '"ok"'`));
    expect(result).toMatchObject({ outcome: 'succeeded', output: 'ok' });
    expect(readPids(pids).filter(isProcessRunning)).toEqual([]);
  });

  it('fails clearly when the bundle folder does not exist', async () => {
    const result = await execute(shellRequest('true', {}, { bundleDir: join(scratch, 'missing') }));
    expect(result.outcome).toBe('failed');
    expect(result.error?.message).toMatch(/^task 'extract' could not start: .*ENOENT/);
  });

  it('kills running commands when closed', async () => {
    const pids = join(scratch, 'close.pids');
    const running = execute(shellRequest(`echo $$ > ${pids}; sleep 100 & wait`), { onLog: () => {} });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await executor?.close();
    const result = await running;
    expect(result.outcome).toBe('cancelled');
    expect(readPids(pids).filter(isProcessRunning)).toEqual([]);
  });
});

describe('shell executor: skipping, sensors and branches', () => {
  it('ends skipped when the command exits with the default skip exit code 99', async () => {
    const result = await execute(shellRequest('echo "nothing to load"; exit 99'));
    expect(result.outcome).toBe('skipped');
    expect(result.error).toEqual({
      type: 'SkipTask',
      message: 'command exited with the skip exit code 99',
      retryable: false,
      details: { exitCode: 99 },
    });
    expect(result.logTail).toEqual(['nothing to load']);
  });

  it("honours the task's own skip exit code, and then fails on 99", async () => {
    const skipped = await execute(shellRequest('exit 3', { skipExitCode: 3 }));
    expect(skipped).toMatchObject({
      outcome: 'skipped',
      error: { type: 'SkipTask', details: { exitCode: 3 } },
    });
    const failed = await execute(shellRequest('exit 99', { skipExitCode: 3 }));
    expect(failed).toMatchObject({ outcome: 'failed', error: { type: 'ShellExitError' } });
  });

  it('reschedules a sensor poke that exits 100, and fails a plain task that does', async () => {
    const sensor = { mode: 'reschedule', intervalMs: 10, timeoutMs: 1000, softFail: false } as const;
    const poke = await execute(shellRequest('echo "not yet"; exit 100', { sensor }));
    expect(poke).toMatchObject({ outcome: 'rescheduled', logTail: ['not yet'] });
    expect(poke.error).toBeUndefined();
    const plain = await execute(shellRequest('exit 100'));
    expect(plain).toMatchObject({ outcome: 'failed', error: { details: { exitCode: 100 } } });
  });

  it('skips a sensor that exits with its skip exit code, and fails one that exits otherwise', async () => {
    const sensor = { mode: 'reschedule', intervalMs: 10, timeoutMs: 1000, softFail: false } as const;
    expect((await execute(shellRequest('exit 99', { sensor }))).outcome).toBe('skipped');
    expect((await execute(shellRequest('exit 1', { sensor }))).outcome).toBe('failed');
  });

  it('takes bare ids on the last stdout line of a branch task as the ids to follow', async () => {
    const one = await execute(shellRequest('echo choosing; echo load_eu', { branch: true }));
    expect(one).toMatchObject({ outcome: 'succeeded', output: 'load_eu' });
    const many = await execute(shellRequest('echo "load_eu, load_us load_apac"', { branch: true }));
    expect(many.output).toEqual(['load_eu', 'load_us', 'load_apac']);
  });

  it('still takes JSON from a branch task', async () => {
    const result = await execute(shellRequest(`echo '["load_eu", "load_us"]'`, { branch: true }));
    expect(result.output).toEqual(['load_eu', 'load_us']);
  });
});
