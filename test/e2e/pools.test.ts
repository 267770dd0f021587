import { join } from 'node:path';
import {
  failureFromProto,
  type Run,
  runStateFromProto,
  type TaskInstance,
  taskStateFromProto,
} from '@tributary/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll, waitFor } from '../harness/index.js';
import { type Cluster, REPO_ROOT, startCluster } from './cluster.js';

let cluster: Cluster;

beforeAll(async () => {
  // Workers for pool `default` only: nothing serves pool `gpu`.
  cluster = await startCluster({ workers: 1 });
  await cluster.client.deployDagFolder(join(REPO_ROOT, 'test', 'fixtures', 'dags', 'pools'));
});

afterAll(async () => {
  cluster?.client.close();
  await stopAll();
});

function task(run: Run, taskId: string): TaskInstance {
  const found = run.tasks.find((t) => t.taskId === taskId);
  if (!found) throw new Error(`run ${run.id} has no task '${taskId}'`);
  return found;
}

describe('a task pinned to a pool without workers', () => {
  it('shows it waits for a live worker, then fails with QueueTimeout (no retry) and its downstream task upstream_failed', async () => {
    const { run: started } = await cluster.client.triggerRun({ dag: 'pools' });
    const runId = started!.id;

    // Before its 4s queue_timeout passes, GetRun says why the gpu task is not starting.
    const waiting = await waitFor(
      async () => {
        const train = task(await cluster.client.getRun(runId), 'train');
        return taskStateFromProto(train.state) === 'queued' && train.waiting !== '' && train;
      },
      { description: 'GetRun to show that no live worker serves pool gpu', timeoutMs: 10_000 },
    );
    expect(waiting.waiting).toMatch(/^queued: no live worker in pool gpu \(waited \d+s\)$/);
    expect(waiting.pool).toBe('gpu');

    const finished = await waitFor(
      async () => {
        const run = await cluster.client.getRun(runId);
        return runStateFromProto(run.state) !== 'running' && run;
      },
      { description: 'the run to finish', timeoutMs: 30_000 },
    );
    expect(runStateFromProto(finished.state)).toBe('failed');
    expect(taskStateFromProto(task(finished, 'prep').state)).toBe('succeeded');
    const train = task(finished, 'train');
    expect(taskStateFromProto(train.state)).toBe('failed');
    // Its retries are not used: another try would wait in the same queue.
    expect(train.attempt).toBe(1);
    expect(train.waiting).toBe('');
    expect(failureFromProto(train.error!)).toMatchObject({
      type: 'QueueTimeout',
      retryable: false,
      message: "task 'train' waited 4.00s in queue for pool gpu without a worker starting it",
    });
    expect(taskStateFromProto(task(finished, 'report').state)).toBe('upstream_failed');
  });
});
