import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Code, TributaryError } from '@tributary/core';
import type { TaskExecutor } from '@tributary/executors';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent, TaskStateEvent } from './events.js';
import { runDagLocally } from './run-dag-locally.js';

const folders: string[] = [];

/** Writes a DAG folder from file contents by relative path; removed after each test. */
async function dagFolder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-runner-'));
  folders.push(dir);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

afterEach(async () => {
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function taskEvents(events: RunEvent[], task?: string): TaskStateEvent[] {
  return events.filter(
    (event): event is TaskStateEvent => event.type === 'task' && (task === undefined || event.task === task),
  );
}

const DIAMOND = `
name: diamond_test
params:
  n: { type: integer, default: 3 }
tasks:
  extract: { kind: node, module: ./extract.mjs }
  double: { kind: node, module: ./double.mjs, needs: [extract] }
  sum:
    kind: shell
    needs: [extract]
    command: |
      s=0
      for x in $(printf '%s' "$TRIBUTARY_INPUT_EXTRACT" | tr -c '0-9' ' '); do s=$((s + x)); done
      echo "{\\"sum\\": $s}"
  load: { kind: node, module: ./load.mjs, needs: [double, sum] }
`;

const DIAMOND_FILES = {
  'dag.yaml': DIAMOND,
  'extract.mjs':
    'export const run = (ctx) => ({ numbers: Array.from({ length: ctx.params.n }, (_, i) => i + 1) });\n',
  'double.mjs': 'export const run = (ctx) => ({ doubled: ctx.inputs.extract.numbers.map((x) => x * 2) });\n',
  'load.mjs':
    'export const run = (ctx) => ({ doubled: ctx.inputs.double.doubled, sum: ctx.inputs.sum.sum });\n',
};

describe('runDagLocally', () => {
  it('runs a diamond of node and shell tasks, passing outputs downstream', async () => {
    const path = await dagFolder(DIAMOND_FILES);
    const events: RunEvent[] = [];
    const summary = await runDagLocally({ path, params: { n: 4 }, onEvent: (event) => events.push(event) });

    expect(summary.run.state).toBe('succeeded');
    expect(summary.run.dag).toBe('diamond_test');
    expect(summary.tasks.load).toEqual({
      state: 'succeeded',
      attempts: 1,
      output: { doubled: [2, 4, 6, 8], sum: 10 },
    });
    expect(summary.tasks.sum?.output).toEqual({ sum: 10 });
    expect(Object.keys(summary.tasks)).toEqual(['extract', 'double', 'sum', 'load']);
    // load starts only after both branches succeeded.
    const index = (task: string, state: string) =>
      events.findIndex((e) => e.type === 'task' && e.task === task && e.state === state);
    expect(index('load', 'running')).toBeGreaterThan(index('double', 'succeeded'));
    expect(index('load', 'running')).toBeGreaterThan(index('sum', 'succeeded'));
    expect(events[0]).toMatchObject({ type: 'run', state: 'running', dag: 'diamond_test' });
    expect(events.at(-1)).toMatchObject({ type: 'run', state: 'succeeded', run: summary.run.id });
    const succeeded = taskEvents(events).filter((event) => event.state === 'succeeded');
    expect(succeeded.every((event) => typeof event.durationMs === 'number')).toBe(true);
  });

  it('applies param defaults from the params schema', async () => {
    const path = await dagFolder(DIAMOND_FILES);
    const summary = await runDagLocally({ path });
    expect(summary.tasks.load?.output).toEqual({ doubled: [2, 4, 6], sum: 6 });
  });

  it('retries a failing task, ends it failed after retries + 1 attempts and its downstream upstream_failed', async () => {
    const path = await dagFolder({
      'dag.yaml': `
name: failing_test
tasks:
  flaky:
    kind: shell
    retries: 2
    retry_delay: 50ms
    command: 'echo "attempt $TRIBUTARY_ATTEMPT" >&2; exit 3'
  after: { kind: shell, needs: [flaky], command: 'echo never' }
`,
    });
    const events: RunEvent[] = [];
    const summary = await runDagLocally({ path, onEvent: (event) => events.push(event) });

    expect(summary.run.state).toBe('failed');
    expect(summary.tasks.flaky).toMatchObject({ state: 'failed', attempts: 3 });
    expect(summary.tasks.after).toMatchObject({ state: 'upstream_failed' });
    const retries = taskEvents(events, 'flaky').filter((event) => event.state === 'up_for_retry');
    expect(retries.map((event) => event.attempt)).toEqual([1, 2]);
    expect(retries[0]?.retryAt).toBeGreaterThanOrEqual(retries[0]?.at ?? Number.POSITIVE_INFINITY);
    const failed = taskEvents(events, 'flaky').find((event) => event.state === 'failed');
    expect(failed?.error?.message).toMatch(/3/);
    expect(failed?.logTail).toContain('attempt 3');
    const logs = events.filter((event) => event.type === 'log' && event.task === 'flaky');
    expect(logs).toHaveLength(3);
  });

  it('throws InvalidArgument with every problem when the spec is invalid', async () => {
    const path = await dagFolder({
      'dag.yaml': 'name: broken\ntasks:\n  a: { kind: shell, command: "true", needs: [missing] }\n',
    });
    const error = await runDagLocally({ path }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe(Code.InvalidArgument);
    expect((error as TributaryError).problems.length).toBeGreaterThan(0);
    expect((error as TributaryError).problems[0]?.position?.line).toBe(3);
  });

  it('throws InvalidArgument naming params.<field> when a param is wrong', async () => {
    const path = await dagFolder(DIAMOND_FILES);
    const error = await runDagLocally({ path, params: { n: 'three' } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe(Code.InvalidArgument);
    expect((error as TributaryError).problems.map((problem) => problem.field)).toContain('params.n');
  });

  it('cancels the run and stops a running task when the signal aborts', async () => {
    const path = await dagFolder({
      'dag.yaml':
        'name: sleepy\ntasks:\n  nap: { kind: shell, command: "sleep 30" }\n  after: { kind: shell, needs: [nap], command: "true" }\n',
    });
    const controller = new AbortController();
    const started = Date.now();
    const summary = await runDagLocally({
      path,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'task' && event.state === 'running') controller.abort();
      },
    });
    expect(summary.run.state).toBe('cancelled');
    expect(summary.tasks.nap?.state).toBe('cancelled');
    expect(summary.tasks.after?.state).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('never runs more attempts at once than its concurrency', async () => {
    const task = '{ kind: shell, command: "sleep 0.1" }';
    const path = await dagFolder({
      'dag.yaml': `name: wide\ntasks:\n  a: ${task}\n  b: ${task}\n  c: ${task}\n`,
    });
    let running = 0;
    let most = 0;
    const summary = await runDagLocally({
      path,
      concurrency: 1,
      onEvent: (event) => {
        if (event.type !== 'task') return;
        if (event.state === 'running') running += 1;
        if (event.state === 'succeeded') running -= 1;
        most = Math.max(most, running);
      },
    });
    expect(summary.run.state).toBe('succeeded');
    expect(most).toBe(1);
  });

  it('turns an executor that throws into a failed task and leaves a given executor open', async () => {
    const path = await dagFolder({
      'dag.yaml': 'name: one\ntasks:\n  a: { kind: shell, command: "true" }\n',
    });
    let closed = false;
    const executor: TaskExecutor = {
      execute: () => Promise.reject(new Error('executor exploded')),
      close: async () => {
        closed = true;
      },
    };
    const summary = await runDagLocally({ path, executor });
    expect(summary.tasks.a).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: { message: 'executor exploded' },
    });
    expect(closed).toBe(false);
  });

  it('rejects a concurrency below one, naming the field', async () => {
    const error = await runDagLocally({ path: '.', concurrency: 0 }).catch((caught: unknown) => caught);
    expect((error as TributaryError).problems[0]?.field).toBe('concurrency');
  });
});

it('fails a task whose output is over outputMaxBytes with OutputTooLarge, and its downstream does not run', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-runner-limit-'));
  try {
    await writeFile(
      join(dir, 'dag.yaml'),
      'name: limit_test\ntasks:\n  big: { kind: node, module: ./big.mjs }\n  after: { kind: node, module: ./big.mjs, needs: [big] }\n',
    );
    await writeFile(join(dir, 'big.mjs'), "export const run = () => ({ data: 'x'.repeat(2000) });\n");
    const summary = await runDagLocally({ path: dir, outputMaxBytes: 1000, concurrency: 1 });
    expect(summary.run.state).toBe('failed');
    expect(summary.tasks.big?.state).toBe('failed');
    expect(summary.tasks.big?.output).toBeUndefined();
    expect(summary.tasks.big?.error).toMatchObject({ type: 'OutputTooLarge', retryable: false });
    expect(summary.tasks.big?.error?.message).toContain(
      "task 'big' returned an output of 2.0 KiB (2011 bytes",
    );
    expect(summary.tasks.after?.state).toBe('upstream_failed');
    const ok = await runDagLocally({ path: dir, concurrency: 1 });
    expect(ok.run.state).toBe('succeeded');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

describe('the run context of a local run', () => {
  it('carries what one task set to the tasks downstream, and ends up in the summary', async () => {
    const path = await dagFolder({
      'dag.yaml': `
name: context_test
tasks:
  count: { kind: node, module: ./count.mjs }
  report: { kind: node, module: ./report.mjs, needs: [count] }
  echo: { kind: shell, needs: [count], command: 'printf "%s\\n" "$TRIBUTARY_CONTEXT"' }
`,
      'count.mjs':
        "export const run = async (ctx) => { await ctx.context.set('rows', 42); await ctx.context.set('source', { table: 'events' }); };\n",
      'report.mjs':
        "export const run = async (ctx) => ({ rows: await ctx.context.get('rows'), keys: await ctx.context.keys() });\n",
    });
    const summary = await runDagLocally({ path, onEvent: () => {} });
    expect(summary.run.state).toBe('succeeded');
    expect(summary.tasks.report?.output).toEqual({ rows: 42, keys: ['rows', 'source'] });
    expect(summary.tasks.echo?.output).toEqual({ rows: 42, source: { table: 'events' } });
    expect(summary.context).toEqual({ rows: 42, source: { table: 'events' } });
  });

  it('starts empty for every run', async () => {
    const path = await dagFolder({
      'dag.yaml': 'name: context_empty\ntasks:\n  keys: { kind: node, module: ./keys.mjs }\n',
      'keys.mjs':
        "export const run = async (ctx) => { const keys = await ctx.context.keys(); await ctx.context.set('ran', true); return keys; };\n",
    });
    const first = await runDagLocally({ path, onEvent: () => {} });
    const second = await runDagLocally({ path, onEvent: () => {} });
    expect(first.tasks.keys?.output).toEqual([]);
    expect(second.tasks.keys?.output).toEqual([]);
    expect(second.context).toEqual({ ran: true });
  });
});
