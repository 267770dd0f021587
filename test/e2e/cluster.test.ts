import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { create } from '@bufbuild/protobuf';
import { packDagFolder } from '@tributary/client';
import { Code, formatProblem, type JsonValue, TributaryError } from '@tributary/core';
import {
  BundleSchema,
  millisFromTimestamp,
  type Run,
  runStateFromProto,
  taskStateFromProto,
  valueToJson,
} from '@tributary/proto';
import { runDagLocally } from '@tributary/runner';
import { loadDagFolder } from '@tributary/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll, waitFor } from '../harness/index.js';
import { CLI, type Cluster, REPO_ROOT, startCluster } from './cluster.js';

const run = promisify(execFile);
const example = (name: string) => join(REPO_ROOT, 'examples', name);
const fixture = (name: string) => join(REPO_ROOT, 'test', 'fixtures', 'dags', name);

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2 });
  for (const dir of [
    example('diamond'),
    example('failing'),
    fixture('slow'),
    fixture('one-at-a-time'),
    fixture('dag-task-limit'),
  ])
    await cluster.client.deployDagFolder(dir);
});

afterAll(async () => {
  cluster?.client.close();
  await stopAll();
});

/** Watches a run through WatchRun until it finishes; returns the finished run and the task events seen. */
async function watchToEnd(runId: string): Promise<{ finished: Run; taskEvents: string[] }> {
  const taskEvents: string[] = [];
  for await (const message of cluster.client.watchRun(runId)) {
    if (message.event.case === 'task') {
      taskEvents.push(`${message.event.value.taskId}:${taskStateFromProto(message.event.value.state)}`);
    }
    if (message.event.case === 'finished') return { finished: message.event.value, taskEvents };
  }
  throw new Error(`WatchRun for ${runId} ended without a finished message`);
}

function summarize(
  runView: Run,
): Record<string, { state: string; attempts: number; output: JsonValue | undefined }> {
  return Object.fromEntries(
    runView.tasks.map((task) => [
      task.taskId,
      {
        state: taskStateFromProto(task.state),
        attempts: task.attempt,
        output: task.output ? valueToJson(task.output) : undefined,
      },
    ]),
  );
}

describe('a DAG on coordinator and workers', () => {
  it('runs the diamond example to success with outputs passed between node and shell tasks', async () => {
    const { run: started } = await cluster.client.triggerRun({ dag: 'diamond', params: { n: 4 } });
    const { finished, taskEvents } = await watchToEnd(started!.id);

    expect(runStateFromProto(finished.state)).toBe('succeeded');
    const tasks = summarize(finished);
    expect(tasks.extract).toEqual({ state: 'succeeded', attempts: 1, output: { numbers: [1, 2, 3, 4] } });
    expect(tasks.transform_a).toEqual({ state: 'succeeded', attempts: 1, output: { doubled: [2, 4, 6, 8] } });
    expect(tasks.transform_b).toEqual({ state: 'succeeded', attempts: 1, output: { sum: 10 } });
    expect(tasks.load).toEqual({
      state: 'succeeded',
      attempts: 1,
      output: { doubled: [2, 4, 6, 8], sum: 10 },
    });
    expect(taskEvents).toContain('load:succeeded');
    // Every attempt records the worker that ran it and its timings.
    for (const task of finished.tasks) {
      expect(task.attempts).toHaveLength(1);
      expect(task.attempts[0]!.workerId).not.toBe('');
      expect(task.attempts[0]!.startedAt).toBeDefined();
      expect(task.attempts[0]!.finishedAt).toBeDefined();
    }
  });

  it('gives the same final states and outputs as the local runner and `tributary run --json`', async () => {
    const { run: started } = await cluster.client.triggerRun({ dag: 'diamond', params: { n: 5 } });
    const { finished } = await watchToEnd(started!.id);
    const cluster_ = summarize(finished);

    const local = await runDagLocally({ path: example('diamond'), params: { n: 5 } });
    const { stdout } = await run(process.execPath, [
      CLI,
      'run',
      example('diamond'),
      '--param',
      'n=5',
      '--json',
    ]);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      run: { state: string };
      tasks: Record<string, { state: string; attempts: number; output: JsonValue }>;
    };

    expect(local.run.state).toBe('succeeded');
    expect(summary.run.state).toBe('succeeded');
    for (const [taskId, task] of Object.entries(cluster_)) {
      expect(local.tasks[taskId]).toMatchObject({
        state: task.state,
        attempts: task.attempts,
        output: task.output,
      });
      expect(summary.tasks[taskId]).toMatchObject({
        state: task.state,
        attempts: task.attempts,
        output: task.output,
      });
    }
  });

  it('ends a task that keeps failing as failed after its retries, and its downstream upstream_failed', async () => {
    const { run: started } = await cluster.client.triggerRun({ dag: 'failing' });
    const { finished } = await watchToEnd(started!.id);

    expect(runStateFromProto(finished.state)).toBe('failed');
    const flaky = finished.tasks.find((task) => task.taskId === 'flaky')!;
    expect(taskStateFromProto(flaky.state)).toBe('failed');
    expect(flaky.attempts.map((attempt) => attempt.number)).toEqual([1, 2, 3]);
    expect(flaky.error?.message).toMatch(/exited with code 3/);
    expect(flaky.attempts[2]!.logTail.join('\n')).toMatch(/no data today/);
    const report = finished.tasks.find((task) => task.taskId === 'report')!;
    expect(taskStateFromProto(report.state)).toBe('upstream_failed');
    expect(report.attempts).toHaveLength(0);
  });

  it('returns the first run for a repeated request_id, and rejects its reuse with other params', async () => {
    const requestId = `e2e-${Date.now()}`;
    const first = await cluster.client.triggerRun({ dag: 'diamond', params: { n: 2 }, requestId });
    const again = await cluster.client.triggerRun({ dag: 'diamond', params: { n: 2 }, requestId });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.run!.id).toBe(first.run!.id);

    const conflict = await cluster.client
      .triggerRun({ dag: 'diamond', params: { n: 3 }, requestId })
      .catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(TributaryError);
    expect((conflict as TributaryError).code).toBe(Code.AlreadyExists);
    expect((conflict as TributaryError).message).toMatch(/different params/);
    await watchToEnd(first.run!.id);
  });

  it('rejects an invalid spec with INVALID_ARGUMENT listing the same problems as validate', async () => {
    const { bundle } = await packDagFolder(fixture('broken'));
    const error = await cluster.client.registerDag(bundle).catch((e: unknown) => e);
    const local = await loadDagFolder(fixture('broken'));

    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe(Code.InvalidArgument);
    const remote = (error as TributaryError).problems.map((p) =>
      formatProblem({ ...p, position: p.position && { ...p.position, file: 'dag.yaml' } }),
    );
    const expected = local.problems.map((p) =>
      formatProblem({ ...p, position: p.position && { ...p.position, file: 'dag.yaml' } }),
    );
    expect(expected.length).toBeGreaterThanOrEqual(5);
    expect(remote).toEqual(expected);
  });

  it('rejects a bundle with no spec file', async () => {
    const error = await cluster.client
      .registerDag(create(BundleSchema, { files: [] }))
      .catch((e: unknown) => e);
    expect((error as TributaryError).code).toBe(Code.InvalidArgument);
  });

  it('rejects params that fail the schema, naming the field', async () => {
    const error = await cluster.client
      .triggerRun({ dag: 'diamond', params: { n: 'many' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe(Code.InvalidArgument);
    expect((error as TributaryError).problems.map((p) => p.field)).toContain('params.n');
  });

  it('answers NOT_FOUND for an unknown DAG and an unknown run', async () => {
    const noDag = await cluster.client.triggerRun({ dag: 'no_such_dag' }).catch((e: unknown) => e);
    expect((noDag as TributaryError).code).toBe(Code.NotFound);
    const noRun = await cluster.client
      .getRun('00000000-0000-4000-8000-000000000000')
      .catch((e: unknown) => e);
    expect((noRun as TributaryError).code).toBe(Code.NotFound);
    const badId = await cluster.client.getRun('not-a-uuid').catch((e: unknown) => e);
    expect((badId as TributaryError).code).toBe(Code.InvalidArgument);
  });

  it('lists runs newest first, page by page, and lists DAGs with their versions', async () => {
    const first = await cluster.client.listRuns({ pageSize: 2 });
    expect(first.runs).toHaveLength(2);
    expect(first.nextPageToken).not.toBe('');
    const second = await cluster.client.listRuns({ pageSize: 2, pageToken: first.nextPageToken });
    const ids = [...first.runs, ...second.runs].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const diamondOnly = await cluster.client.listRuns({ dag: 'diamond', pageSize: 100 });
    expect(diamondOnly.runs.every((r) => r.dag === 'diamond')).toBe(true);

    const dags = await cluster.client.listDags();
    expect(dags.map((d) => d.name)).toEqual(expect.arrayContaining(['diamond', 'failing', 'slow']));
    expect(await cluster.client.checkHealth()).toBe('SERVING');
  });

  it('cancels a running run: the task is stopped and the run ends cancelled', async () => {
    const { run: started } = await cluster.client.triggerRun({ dag: 'slow' });
    const runId = started!.id;
    await waitFor(
      async () => taskStateFromProto((await cluster.client.getRun(runId)).tasks[0]!.state) === 'running',
      { description: 'nap running', timeoutMs: 20_000 },
    );
    const cancelled = await cluster.client.cancelRun(runId, 'test');
    expect(runStateFromProto(cancelled.state)).toBe('cancelled');
    expect(cancelled.tasks.map((t) => taskStateFromProto(t.state))).toEqual(['cancelled', 'cancelled']);
  });

  it('does not lose a task whose worker is SIGKILLed mid-task: it is retried on another worker', async () => {
    const { run: started } = await cluster.client.triggerRun({ dag: 'slow' });
    const runId = started!.id;
    const running = await waitFor(
      async () => {
        const nap = (await cluster.client.getRun(runId)).tasks[0]!;
        return taskStateFromProto(nap.state) === 'running' ? nap : undefined;
      },
      { description: 'nap running', timeoutMs: 20_000 },
    );
    const victim = cluster.workers.find((worker) => running.workerId.includes(`-${worker.pid}-`));
    expect(victim, `a worker process for ${running.workerId}`).toBeDefined();
    await victim!.kill();

    const { finished } = await watchToEnd(runId);
    expect(runStateFromProto(finished.state)).toBe('succeeded');
    const nap = finished.tasks[0]!;
    expect(nap.attempts.length).toBeGreaterThanOrEqual(2);
    expect(nap.attempts[0]!.workerId).toBe(running.workerId);
    expect(nap.attempts.at(-1)!.workerId).not.toBe(running.workerId);
    expect(valueToJson(nap.output!)).toEqual({ slept: true });
  });

  it('queues runs beyond max_active_runs and starts them one at a time, oldest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await cluster.client.triggerRun({ dag: 'one-at-a-time' })).run!.id);
    const states = await Promise.all(
      ids.map(async (id) => runStateFromProto((await cluster.client.getRun(id)).state)),
    );
    expect(states).toEqual(['running', 'queued', 'queued']);
    const finished = await Promise.all(ids.map((id) => watchToEnd(id).then((r) => r.finished)));
    expect(finished.map((run) => runStateFromProto(run.state))).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    // Each run's task started only after the previous run finished.
    for (let i = 1; i < 3; i++) {
      const started = millisFromTimestamp(finished[i]!.tasks[0]!.startedAt!);
      expect(started).toBeGreaterThanOrEqual(millisFromTimestamp(finished[i - 1]!.finishedAt!));
    }
  });

  it('never has more task instances of a DAG out across its runs than max_active_tasks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-dag-task-limit-'));
    const ids = await Promise.all(
      [0, 1, 2].map(
        async () => (await cluster.client.triggerRun({ dag: 'dag-task-limit', params: { dir } })).run!.id,
      ),
    );
    const finished = await Promise.all(ids.map((id) => watchToEnd(id).then((r) => r.finished)));
    expect(finished.map((run) => runStateFromProto(run.state))).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    const active = finished.flatMap((run) =>
      run.tasks.map((task) => (valueToJson(task.output!) as { active: number }).active),
    );
    expect(active).toHaveLength(9);
    // Two workers' worth of slots (4 each) and three runs of three tasks: only the DAG's limit holds them.
    expect(Math.max(...active)).toBe(2);
  });

  it('cancels a queued run without starting it', async () => {
    const first = (await cluster.client.triggerRun({ dag: 'one-at-a-time' })).run!.id;
    const queued = (await cluster.client.triggerRun({ dag: 'one-at-a-time' })).run!.id;
    expect(runStateFromProto((await cluster.client.getRun(queued)).state)).toBe('queued');
    const cancelled = await cluster.client.cancelRun(queued, 'not needed');
    expect(runStateFromProto(cancelled.state)).toBe('cancelled');
    expect(cancelled.tasks.map((task) => taskStateFromProto(task.state))).toEqual(['cancelled']);
    expect(cancelled.tasks[0]!.attempts).toHaveLength(0);
    const { finished } = await watchToEnd(first);
    expect(runStateFromProto(finished.state)).toBe('succeeded');
  });
});
