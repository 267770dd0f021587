import { join } from 'node:path';
import { type Run, runStateFromProto, taskStateFromProto } from '@tributary/proto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stopAll, waitFor } from '../harness/index.js';
import { type Cluster, REPO_ROOT, startCluster } from './cluster.js';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2 });
  await cluster.client.deployDagFolder(join(REPO_ROOT, 'test', 'fixtures', 'dags', 'fanout'));
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
