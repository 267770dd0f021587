import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  attemptStateFromProto,
  millisFromTimestamp,
  type Run,
  runStateFromProto,
  taskStateFromProto,
  valueToJson,
} from '@tributary/proto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stopAll, waitFor } from '../harness/index.js';
import { type Cluster, REPO_ROOT, startCluster } from './cluster.js';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2 });
  await cluster.client.deployDagFolder(join(REPO_ROOT, 'test', 'fixtures', 'dags', 'fanout'));
  await cluster.client.deployDagFolder(join(REPO_ROOT, 'test', 'fixtures', 'dags', 'timers'));
  await cluster.client.deployDagFolder(join(REPO_ROOT, 'test', 'fixtures', 'dags', 'mapped-fanout'));
  await cluster.client.deployDagFolder(join(REPO_ROOT, 'test', 'fixtures', 'dags', 'one-task-at-a-time'));
});

/** Waits for a run to leave `running`, and returns it. */
function finishedRun(runId: string): Promise<Run> {
  return waitFor(
    async () => {
      const run = await cluster.client.getRun(runId);
      return runStateFromProto(run.state) === 'running' ? undefined : run;
    },
    { description: `run ${runId} to finish after the restart`, timeoutMs: 60_000, intervalMs: 100 },
  );
}

afterAll(async () => {
  cluster?.client.close();
  await stopAll();
});

it('finishes a run correctly when the coordinator is SIGKILLed mid-run and started again', async () => {
  const { run: started } = await cluster.client.triggerRun({ dag: 'fanout' });
  const runId = started!.id;
  // Kill it while some tasks are done and others still run: their results must not be lost.
  await waitFor(
    async () => {
      const run = await cluster.client.getRun(runId);
      return run.tasks.filter((t) => taskStateFromProto(t.state) === 'succeeded').length >= 3;
    },
    { description: 'three tasks succeeded', timeoutMs: 20_000, intervalMs: 20 },
  );
  await cluster.coordinator.kill();
  await cluster.startCoordinator();

  const finished = await finishedRun(runId);
  expect(
    runStateFromProto(finished.state),
    JSON.stringify(
      finished.tasks.map((t) => [t.taskId, taskStateFromProto(t.state), t.attempts.length, t.error?.message]),
    ),
  ).toBe('succeeded');
  expectEveryTaskSucceededOnce(finished);
});

it('neither loses nor shortens a pending retry timer or sensor reschedule across a coordinator restart', async () => {
  const { run: started } = await cluster.client.triggerRun({ dag: 'timers' });
  const runId = started!.id;
  const waiting = await waitFor(
    async () => {
      const run = await cluster.client.getRun(runId);
      const states = run.tasks.map((t) => taskStateFromProto(t.state));
      return states.includes('up_for_retry') && states.includes('up_for_reschedule') ? run : undefined;
    },
    { description: 'a retry and a reschedule pending', timeoutMs: 20_000, intervalMs: 50 },
  );
  const dueAt = Object.fromEntries(waiting.tasks.map((t) => [t.taskId, millisFromTimestamp(t.retryAt!)]));
  await cluster.coordinator.kill();
  await cluster.startCoordinator();

  const finished = await finishedRun(runId);
  expect(runStateFromProto(finished.state)).toBe('succeeded');
  const attempts = (taskId: string) => finished.tasks.find((t) => t.taskId === taskId)!.attempts;
  expect(attempts('flaky').map((a) => attemptStateFromProto(a.state))).toEqual(['failed', 'succeeded']);
  expect(attempts('sensor').map((a) => attemptStateFromProto(a.state))).toEqual(['rescheduled', 'succeeded']);
  // The second attempts were queued no earlier than the times stored before the restart.
  for (const taskId of ['flaky', 'sensor']) {
    const queuedAt = millisFromTimestamp(attempts(taskId)[1]!.queuedAt!);
    expect(queuedAt, taskId).toBeGreaterThanOrEqual(dueAt[taskId]!);
  }
});

it('goes on with a mapped task whose instances were out when the coordinator was SIGKILLed', async () => {
  const { run: started } = await cluster.client.triggerRun({ dag: 'mapped-fanout' });
  const runId = started!.id;
  await waitFor(
    async () => {
      const run = await cluster.client.getRun(runId);
      const done = run.tasks.filter(
        (t) => t.taskId.startsWith('double[') && taskStateFromProto(t.state) === 'succeeded',
      );
      return done.length >= 2 && done.length < 8;
    },
    { description: 'some instances of double succeeded', timeoutMs: 20_000, intervalMs: 20 },
  );
  await cluster.coordinator.kill();
  await cluster.startCoordinator();

  const finished = await finishedRun(runId);
  expect(runStateFromProto(finished.state)).toBe('succeeded');
  const ids = finished.tasks.map((t) => t.taskId);
  expect(ids).toEqual(['list', 'double', ...Array.from({ length: 8 }, (_, i) => `double[${i}]`), 'gather']);
  for (const task of finished.tasks.filter((t) => t.taskId !== 'double')) {
    expect(taskStateFromProto(task.state), task.taskId).toBe('succeeded');
    expect(
      task.attempts.map((a) => a.number),
      task.taskId,
    ).toEqual([1]);
  }
  const gather = finished.tasks.find((t) => t.taskId === 'gather')!;
  expect(valueToJson(gather.output!)).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
});

it("wakes a run held back by its DAG's max_active_tasks after a coordinator restart", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-one-task-'));
  const trigger = async () =>
    (await cluster.client.triggerRun({ dag: 'one-task-at-a-time', params: { dir } })).run!.id;
  const first = await trigger();
  await waitFor(
    async () =>
      (await cluster.client.getRun(first)).tasks.some((t) => taskStateFromProto(t.state) === 'running'),
    { description: 'a task of the first run running', timeoutMs: 20_000, intervalMs: 20 },
  );
  // The second run's tasks wait for the DAG's one slot, in the coordinator's memory only.
  const second = await trigger();
  expect((await cluster.client.getRun(second)).tasks.map((t) => taskStateFromProto(t.state))).toEqual([
    'pending',
    'pending',
  ]);
  await cluster.coordinator.kill();
  await cluster.startCoordinator();

  const runs = [await finishedRun(first), await finishedRun(second)];
  expect(runs.map((run) => runStateFromProto(run.state))).toEqual(['succeeded', 'succeeded']);
  const active = runs.flatMap((run) =>
    run.tasks.map((t) => (valueToJson(t.output!) as { active: number }).active),
  );
  expect(active).toEqual([1, 1, 1, 1]);
});

function expectEveryTaskSucceededOnce(run: Run): void {
  expect(run.tasks).toHaveLength(14);
  for (const task of run.tasks) {
    expect(taskStateFromProto(task.state), task.taskId).toBe('succeeded');
    // Worker events are durable and task messages idempotent: no attempt was needed twice.
    expect(
      task.attempts.map((a) => a.number),
      task.taskId,
    ).toEqual([1]);
  }
}
