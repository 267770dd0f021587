import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, TributaryError } from '@tributary/core';
import { createExecutor } from '@tributary/executors';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalDagTrigger, MAX_LOCAL_DAG_DEPTH } from './local-dag-trigger.js';
import { runDagLocally } from './run-dag-locally.js';

const roots: string[] = [];

/** A temp folder with one subfolder per DAG (`{ parent: 'name: parent ...' }`), removed after each test. */
async function dagsDir(specs: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tributary-dag-task-'));
  roots.push(root);
  for (const [folder, spec] of Object.entries(specs)) {
    await mkdir(join(root, folder));
    await writeFile(join(root, folder, 'dag.yaml'), spec);
  }
  return root;
}

afterEach(async () => {
  await Promise.all(roots.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

const CHILD = `
name: child
params:
  out: { type: string }
  n: { type: integer }
tasks:
  write: { kind: shell, command: 'echo {{ params.n }} > {{ params.out }}' }
`;

const FAILING_CHILD = `
name: failing-child
tasks:
  boom: { kind: shell, command: exit 3 }
`;

const SLOW_CHILD = `
name: slow-child
params:
  marker: { type: string }
tasks:
  slow: { kind: shell, command: 'sleep 5 && touch {{ params.marker }}' }
`;

describe('dag tasks in a local run', () => {
  it("triggers a sibling DAG by name with templated params and outputs the child's id and state", async () => {
    const root = await dagsDir({
      child: CHILD,
      parent: `
name: parent
params:
  out: { type: string }
tasks:
  count: { kind: shell, command: 'echo "{\\"n\\": 42}"' }
  run_child:
    kind: dag
    dag: child
    needs: count
    params: { out: '{{ params.out }}', n: '{{ inputs.count.n }}' }
`,
    });
    const out = join(root, 'child-output.txt');
    const summary = await runDagLocally({ path: join(root, 'parent'), params: { out } });
    expect(summary.run.state).toBe('succeeded');
    const task = summary.tasks.run_child;
    expect(task?.state).toBe('succeeded');
    expect(task?.output).toEqual({ run_id: expect.stringMatching(/^[0-9a-f-]{36}$/), state: 'succeeded' });
    expect(task?.output).not.toMatchObject({ run_id: summary.run.id });
    // The child ran with the params, the number kept as a number (its schema says integer).
    expect((await readFile(out, 'utf8')).trim()).toBe('42');
  });

  it('fails the task with ChildRunFailed, retryable, naming the child run, when the child fails', async () => {
    const root = await dagsDir({
      'failing-child': FAILING_CHILD,
      parent: 'name: parent\ntasks:\n  run_child: { kind: dag, dag: failing-child, retries: 1 }\n',
    });
    const summary = await runDagLocally({ path: join(root, 'parent') });
    expect(summary.run.state).toBe('failed');
    const task = summary.tasks.run_child;
    expect(task).toMatchObject({ state: 'failed', attempts: 2 });
    expect(task?.error).toMatchObject({
      type: 'ChildRunFailed',
      retryable: true,
      details: { state: 'failed' },
    });
    const childId = (task?.error?.details as { runId?: string } | undefined)?.runId;
    expect(childId).toMatch(/^[0-9a-f-]{36}$/);
    expect(task?.error?.message).toBe(
      `task 'run_child': child run ${childId} of DAG 'failing-child' ended failed`,
    );
  });

  it('refuses an unknown DAG and bad params for good, with what the child side said', async () => {
    const root = await dagsDir({
      child: CHILD,
      broken: 'name: nope\ntasks: {}\n',
      parent: `
name: parent
tasks:
  unknown: { kind: dag, dag: nope, retries: 3 }
  bad: { kind: dag, dag: child, params: { out: x, n: lots }, retries: 3 }
`,
    });
    const summary = await runDagLocally({ path: join(root, 'parent') });
    expect(summary.tasks.unknown).toMatchObject({ state: 'failed', attempts: 1 });
    expect(summary.tasks.unknown?.error).toMatchObject({ type: 'DagTriggerError', retryable: false });
    expect(summary.tasks.unknown?.error?.message).toContain(
      `task 'unknown': cannot trigger DAG 'nope': no DAG named 'nope' in ${root} (looked at the spec name of each of its folders; these folders have invalid specs: broken)`,
    );
    expect(summary.tasks.bad).toMatchObject({ state: 'failed', attempts: 1 });
    expect(summary.tasks.bad?.error?.message).toMatch(
      /^task 'bad': cannot trigger DAG 'child': invalid params for DAG 'child' \(1 problem\)\n.*params\.n/,
    );
  });

  it('with wait: false succeeds once triggered, and the run ends only after the child did', async () => {
    const root = await dagsDir({
      child: CHILD,
      parent: `
name: parent
params: { out: { type: string } }
tasks:
  fire: { kind: dag, dag: child, wait: false, params: { out: '{{ params.out }}', n: 7 } }
`,
    });
    const out = join(root, 'fired.txt');
    const summary = await runDagLocally({ path: join(root, 'parent'), params: { out } });
    expect(summary.tasks.fire).toMatchObject({ state: 'succeeded', output: { run_id: expect.any(String) } });
    expect(Object.keys(summary.tasks.fire?.output as object)).toEqual(['run_id']);
    expect((await readFile(out, 'utf8')).trim()).toBe('7');
  });

  it('cancels the child run when the task times out', async () => {
    const root = await dagsDir({
      'slow-child': SLOW_CHILD,
      parent: `
name: parent
params: { marker: { type: string } }
tasks:
  run_child: { kind: dag, dag: slow-child, timeout: 300ms, params: { marker: '{{ params.marker }}' } }
`,
    });
    const marker = join(root, 'marker');
    const summary = await runDagLocally({ path: join(root, 'parent'), params: { marker } });
    expect(summary.tasks.run_child).toMatchObject({ state: 'failed', error: { type: 'TimeoutError' } });
    // runDagLocally waits for every child run: had it not been cancelled, its task would have finished.
    expect(await exists(marker)).toBe(false);
  });

  it('runs nested dag tasks, found in --dags-dir', async () => {
    const root = await dagsDir({
      child: CHILD,
      middle: `
name: middle
params: { out: { type: string } }
tasks:
  inner: { kind: dag, dag: child, params: { out: '{{ params.out }}', n: 5 } }
`,
    });
    const elsewhere = await dagsDir({
      top: `
name: top
params: { out: { type: string } }
tasks:
  outer: { kind: dag, dag: middle, params: { out: '{{ params.out }}' } }
`,
    });
    const out = join(root, 'nested.txt');
    const summary = await runDagLocally({ path: join(elsewhere, 'top'), params: { out }, dagsDir: root });
    expect(summary.tasks.outer).toMatchObject({ state: 'succeeded', output: { state: 'succeeded' } });
    expect((await readFile(out, 'utf8')).trim()).toBe('5');
  });
});

describe('createLocalDagTrigger', () => {
  it(`refuses a chain of more than ${MAX_LOCAL_DAG_DEPTH} nested runs, naming it`, async () => {
    const root = await dagsDir({ leaf: 'name: leaf\ntasks:\n  a: { kind: shell, command: "true" }\n' });
    const executor = createExecutor();
    const trigger = createLocalDagTrigger({
      dagsDir: root,
      rootChain: ['top'],
      run: (child) =>
        runDagLocally({ path: child.dag.dir, runId: child.runId, signal: child.signal, executor }),
    });
    try {
      const signal = new AbortController().signal;
      let parent = 'root-run';
      for (let depth = 1; depth <= MAX_LOCAL_DAG_DEPTH; depth += 1) {
        const parentRef = { runId: parent, taskId: 't', attempt: 1 };
        const request = { dag: 'leaf', params: {}, requestId: `${parent}.t.1`, parent: parentRef };
        const { runId } = await trigger.trigger(request, signal);
        // The same request id gives the same run: a redelivered attempt does not start a second one.
        expect(await trigger.trigger(request, signal)).toEqual({ runId });
        parent = runId;
      }
      const deeper = {
        dag: 'leaf',
        params: {},
        requestId: 'x',
        parent: { runId: parent, taskId: 't', attempt: 1 },
      };
      const refused = await trigger.trigger(deeper, signal).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(TributaryError);
      expect((refused as TributaryError).code).toBe(Code.FailedPrecondition);
      expect((refused as TributaryError).message).toBe(
        `dag tasks nest more than ${MAX_LOCAL_DAG_DEPTH} deep: top -> ${Array(MAX_LOCAL_DAG_DEPTH + 1)
          .fill('leaf')
          .join(' -> ')}`,
      );
      await trigger.settled();
      expect(await trigger.wait(parent, signal)).toBe('succeeded');
    } finally {
      await executor.close();
    }
  });
});
