// One suite, two back-ends: every task semantic is checked through `tributary run`'s local runner and
// through a coordinator with workers, against the same expectations.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@tributary/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triggerRuleConformanceDag } from '../../packages/engine/src/testing/trigger-rule-table.js';
import { REPO_ROOT } from '../e2e/cluster.js';
import { startPostgres, stopAll } from '../harness/index.js';
import { attemptsOf, type Backend, type ClusterBackend, clusterBackend, localBackend } from './backends.js';

const example = (name: string) => join(REPO_ROOT, 'examples', name);
const fixture = (name: string) => join(REPO_ROOT, 'test', 'fixtures', 'dags', name);

/** The conformance DAG as YAML: producers exit 0, 1 or 99; judged tasks exit 0 when they run. */
async function writeConformanceDag(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-trigger-rules-'));
  const commands = { S: 'true', F: 'exit 1', K: 'exit 99' };
  const lines = ['name: trigger-rule-conformance', 'tasks:'];
  for (const task of triggerRuleConformanceDag()) {
    const command = commands[task.produces ?? 'S'];
    lines.push(
      `  ${task.id}: { kind: shell, command: '${command}', needs: [${task.needs.join(', ')}], trigger_rule: ${task.triggerRule} }`,
    );
  }
  await writeFile(join(dir, 'dag.yaml'), `${lines.join('\n')}\n`);
  return dir;
}

const backends: { name: string; start: () => Promise<Backend> }[] = [
  {
    name: 'local runner',
    start: async () => localBackend(await (await startPostgres()).createDatabase('warehouse')),
  },
  { name: 'cluster', start: clusterBackend },
];

afterAll(async () => {
  await stopAll();
});

describe.each(backends)('task semantics on the $name', ({ start }) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await start();
  });
  afterAll(() => {
    (backend as Partial<ClusterBackend> | undefined)?.cluster?.client.close();
  });

  it('ends every task of the trigger-rule conformance DAG as the table says', async () => {
    const dag = triggerRuleConformanceDag();
    const outcome = await backend.run(await writeConformanceDag());
    const mismatches = dag
      .filter((task) => task.expected !== undefined && outcome.tasks[task.id]?.state !== task.expected)
      .map((task) => `${task.id}: expected ${task.expected}, got ${outcome.tasks[task.id]?.state}`);
    expect(mismatches).toEqual([]);
    expect(dag.filter((task) => task.expected !== undefined)).toHaveLength(168);
    expect(outcome.state).toBe('failed');
  });

  it('follows trigger rules on the happy and the failure path of the example', async () => {
    const happy = await backend.run(example('trigger-rules'));
    expect(happy.state).toBe('succeeded');
    expect(happy.tasks.publish?.state).toBe('succeeded');
    expect(happy.tasks.notify?.state).toBe('skipped');
    expect(happy.tasks.cleanup?.state).toBe('succeeded');

    const failing = await backend.run(example('trigger-rules'), { fail: true });
    expect(failing.tasks.load?.state).toBe('failed');
    expect(failing.tasks.publish?.state).toBe('upstream_failed');
    expect(failing.tasks.notify?.state).toBe('succeeded');
    expect(failing.tasks.cleanup?.state).toBe('succeeded');
    // Airflow's leaf rule: the leaf cleanup succeeded, so the run succeeds although load failed.
    expect(failing.state).toBe('succeeded');
  });

  it('branches, skips the path not taken, joins, and lets tasks skip themselves', async () => {
    for (const day of ['weekday', 'weekend'] as const) {
      const outcome = await backend.run(example('branching'), { day });
      const taken = day === 'weekday' ? 'weekday_load' : 'weekend_digest';
      const other = day === 'weekday' ? 'weekend_digest' : 'weekday_load';
      expect(outcome.tasks.choose).toMatchObject({ state: 'succeeded', output: taken });
      expect(outcome.tasks[taken]?.state).toBe('succeeded');
      expect(outcome.tasks[other]?.state).toBe('skipped');
      expect(outcome.tasks.join?.state).toBe('succeeded');
      expect(outcome.tasks.holiday_check?.state).toBe('skipped');
      expect(outcome.tasks.holiday_check?.error?.message).toContain('no holiday calendar');
      expect(outcome.tasks.archive?.state).toBe('skipped');
      expect(outcome.tasks.shell_branch).toMatchObject({ state: 'succeeded', output: 'audit' });
      expect(outcome.tasks.audit?.state).toBe('succeeded');
      expect(outcome.tasks.export?.state).toBe('skipped');
      expect(outcome.state).toBe('succeeded');
    }
  });

  it('retries with backoff until the third try succeeds', async () => {
    const outcome = await backend.run(example('retries'));
    expect(outcome.tasks.flaky_api).toMatchObject({
      state: 'succeeded',
      attempts: 3,
      output: { attempt: 3 },
    });
    expect(outcome.tasks.report?.state).toBe('succeeded');
    const run = (backend as Partial<ClusterBackend>).lastRun;
    if (run !== undefined) {
      // The cluster keeps each attempt with its outcome, error and worker.
      const attempts = attemptsOf(run, 'flaky_api');
      expect(attempts.map((a) => a.state)).toEqual(['failed', 'failed', 'succeeded']);
      expect(attempts[0]?.errorType).toBe('ShellExitError');
      for (const attempt of attempts) expect(attempt.workerId).not.toBe('');
    }
  });

  it('waits on sensors in poke and reschedule mode', async () => {
    const outcome = await backend.run(example('sensors'));
    expect(outcome.state).toBe('succeeded');
    expect(outcome.tasks.wait_for_file?.state).toBe('succeeded');
    expect(outcome.tasks.wait_for_file?.attempts).toBe(1);
    expect(outcome.tasks.wait_for_partition).toMatchObject({
      state: 'succeeded',
      attempts: 3,
      output: { partition: '2026-11-21' },
    });
    const run = (backend as Partial<ClusterBackend>).lastRun;
    if (run !== undefined) {
      expect(attemptsOf(run, 'wait_for_partition').map((a) => a.state)).toEqual([
        'rescheduled',
        'rescheduled',
        'succeeded',
      ]);
    }
  });

  it('fails an attempt past its timeout and the run past its dagrun_timeout', async () => {
    const outcome = await backend.run(example('timeouts'));
    expect(outcome.state).toBe('failed');
    expect(outcome.tasks.slow_query?.state).toBe('failed');
    expect(outcome.tasks.slow_query?.error?.message).toMatch(/timed out|timeout/i);
    expect(outcome.tasks.long_export?.state).toBe('cancelled');
    expect(outcome.tasks.long_export?.error?.type).toBe('DagRunTimeout');
  });

  it('never has more tasks of a run out at once than max_active_tasks_per_run', async () => {
    const outcome = await backend.run(fixture('limits'));
    expect(outcome.state).toBe('succeeded');
    const active = Object.values(outcome.tasks).map((task) => (task.output as { active: number }).active);
    expect(active).toHaveLength(6);
    expect(Math.max(...active)).toBe(2);
  });

  it('runs a sql statement with bind parameters and passes its rows downstream', async () => {
    const outcome = await backend.run(example('sql'), { min_total: 480 });
    expect(outcome.state).toBe('succeeded');
    expect(outcome.tasks.big_orders?.output).toEqual({
      rows: [
        { id: 48, customer: 'customer 48', total: 480 },
        { id: 49, customer: 'customer 49', total: 490 },
        { id: 50, customer: 'customer 50', total: 500 },
      ],
      rowCount: 3,
      truncated: false,
    });
    expect(outcome.tasks.report?.output).toEqual({ big_orders: 3, first_customer: 'customer 48' });
  });

  it('shares the run context: a downstream task reads what an upstream one set', async () => {
    const outcome = await backend.run(example('context'));
    expect(outcome.state).toBe('succeeded');
    expect(outcome.tasks.report?.output).toBe(42);
    expect(outcome.tasks.snapshot?.output).toEqual({ rows: 42 });
    // The local summary's context, and on the cluster GetRun's (read from NATS KV).
    expect(outcome.context).toEqual({ rows: 42 });
    const lastRun = (backend as Partial<ClusterBackend>).lastRun;
    if (lastRun !== undefined) {
      const run = await (backend as ClusterBackend).cluster.client.getRun(lastRun.id);
      expect(run.context).toEqual({ rows: 42 });
    }
  });

  it('expands a matrix into instances that run with their values, and joins them downstream', async () => {
    const outcome = await backend.run(example('matrix'));
    expect(outcome.state).toBe('succeeded');
    const labels = ['eu-small', 'eu-large', 'us-small', 'us-large'];
    for (const [index, label] of labels.entries()) {
      const [region, size] = label.split('-');
      expect(outcome.tasks[`load[${index}]`]).toMatchObject({
        state: 'succeeded',
        output: { region, size, label },
      });
    }
    expect(outcome.tasks['score[1]']?.output).toEqual({ weight: 10, index: 1, score: 30 });
    expect(outcome.tasks.check_first?.output).toEqual({ region: 'eu', size: 'small', label: 'eu-small' });
    expect(outcome.tasks.report?.output).toEqual({ labels, totalScore: 33 });
  });

  it('maps a task over a list known only at run time and hands the outputs on in order', async () => {
    const outcome = await backend.run(example('map'), { count: 3 });
    expect(outcome.state).toBe('succeeded');
    const names = ['part-0.csv', 'part-1.csv', 'part-2.csv'];
    for (const [index, name] of names.entries()) {
      const lines = (index + 1) * 10;
      expect(outcome.tasks[`process[${index}]`]).toMatchObject({
        state: 'succeeded',
        attempts: 1,
        output: { name, lines, index },
      });
      expect(outcome.tasks[`measure[${index}]`]?.output).toEqual({ name, bytes: lines * 80, index });
    }
    expect(outcome.tasks['process[3]']).toBeUndefined();
    expect(outcome.tasks.process?.state).toBe('succeeded');
    expect(outcome.tasks.summarise?.output).toEqual({ files: names, lines: 60, bytes: 4800 });

    const empty = await backend.run(example('map'), { count: 0 });
    expect(empty.state).toBe('succeeded');
    expect([empty.tasks.process?.state, empty.tasks.measure?.state, empty.tasks.summarise?.state]).toEqual([
      'skipped',
      'skipped',
      'skipped',
    ]);
  });

  it('triggers a child DAG by name with params, ends as it ends, and links the child to its parent', async () => {
    await backend.deploy(example('trigger-dag-child'));
    const happy = await backend.run(example('trigger-dag'), { rows: 5 });
    expect(happy.state).toBe('succeeded');
    const load = happy.tasks.load;
    expect(load).toMatchObject({
      state: 'succeeded',
      output: { run_id: expect.any(String), state: 'succeeded' },
    });
    // Downstream tasks read the child's run id and state like any output.
    expect(happy.tasks.report?.output).toEqual(load?.output);
    expect(happy.tasks.audit?.output).toEqual({ run_id: expect.any(String) });

    const failing = await backend.run(example('trigger-dag'), { fail_child: true });
    expect(failing.state).toBe('failed');
    expect(failing.tasks.load).toMatchObject({
      state: 'failed',
      error: { type: 'ChildRunFailed', retryable: true },
    });
    expect(failing.tasks.load?.error?.message).toMatch(
      /^task 'load': child run [0-9a-f-]{36} of DAG 'trigger-dag-child' ended failed$/,
    );
    expect(failing.tasks.report?.state).toBe('upstream_failed');

    const cluster = (backend as Partial<ClusterBackend>).cluster;
    if (cluster === undefined) return;
    // The child run records the run and task that triggered it, and ran with the rendered params.
    const parent = (backend as ClusterBackend).lastRun;
    const childId = /child run (\S+) of/.exec(failing.tasks.load?.error?.message ?? '')?.[1] ?? '';
    const child = await cluster.client.getRun(childId);
    expect(child).toMatchObject({ dag: 'trigger-dag-child', parentRunId: parent?.id, parentTaskId: 'load' });
    const happyChild = await cluster.client.getRun(
      (load?.output as { run_id: string } | undefined)?.run_id ?? '',
    );
    expect(happyChild.tasks[0]?.output).toBeDefined();
    expect(happyChild.params).toMatchObject({ table: 'orders', rows: 5, fail: false });
    // A parent that does not exist is refused before any run is created.
    const orphan = '00000000-0000-4000-8000-000000000000';
    const refused = await cluster.client
      .triggerRun({
        dag: 'trigger-dag-child',
        params: { table: 't', rows: 1 },
        parent: { runId: orphan, taskId: 'x' },
      })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({
      code: Code.InvalidArgument,
      message: `parent_run_id run ${orphan} not found`,
    });
  });
});
