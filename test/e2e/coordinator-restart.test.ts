import { join } from 'node:path';
import {
  attemptStateFromProto,
  millisFromTimestamp,
  type Run,
  runStateFromProto,
  taskStateFromProto,
} from '@tributary/proto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stopAll, waitFor } from '../harness/index.js';
import { type Cluster, REPO_ROOT, startCluster } from './cluster.js';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2 });
  await cluster.client.deployDagFolder(join(REPO_ROOT, 'test', 'fixtures', 'dags', 'fanout'));
  await cluster.client.deployDagFolder(join(REPO_ROOT, 'test', 'fixtures', 'dags', 'timers'));
});

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

  const finished = await waitFor(
    async () => {
      const run = await cluster.client.getRun(runId);
      return runStateFromProto(run.state) === 'running' ? undefined : run;
    },
    { description: 'the run to finish after the restart', timeoutMs: 60_000, intervalMs: 100 },
  );
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

  const finished = await waitFor(
    async () => {
      const run = await cluster.client.getRun(runId);
      return runStateFromProto(run.state) === 'running' ? undefined : run;
    },
    { description: 'the run to finish after the restart', timeoutMs: 60_000, intervalMs: 100 },
  );
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
