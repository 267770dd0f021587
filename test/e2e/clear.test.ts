import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Code, TributaryError } from '@tributary/core';
import { createDatabase, type Database, getRunRow } from '@tributary/db';
import {
  attemptStateFromProto,
  type Run,
  runStateFromProto,
  type TaskInstance,
  taskStateFromProto,
  valueToJson,
} from '@tributary/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll, waitFor } from '../harness/index.js';
import { CLI, type Cluster, REPO_ROOT, startCluster } from './cluster.js';

const exec = promisify(execFile);
const fixture = (name: string) => join(REPO_ROOT, 'test', 'fixtures', 'dags', name);

let cluster: Cluster;
let db: Database;

beforeAll(async () => {
  cluster = await startCluster({ workers: 1 });
  await cluster.client.deployDagFolder(fixture('clear'));
  await cluster.client.deployDagFolder(fixture('clear-slow'));
  db = createDatabase({ url: cluster.databaseUrl });
});

afterAll(async () => {
  cluster?.client.close();
  await db?.close();
  await stopAll();
});

/** Follows a run through WatchRun until it finishes; returns the finished run. */
async function watchToEnd(runId: string): Promise<Run> {
  for await (const message of cluster.client.watchRun(runId)) {
    if (message.event.case === 'finished') return message.event.value;
  }
  throw new Error(`WatchRun for ${runId} ended without a finished message`);
}

function task(run: Run, taskId: string): TaskInstance {
  const found = run.tasks.find((t) => t.taskId === taskId);
  if (!found) throw new Error(`run ${run.id} has no task '${taskId}'`);
  return found;
}

/** The task's attempts as `number:state`, oldest first. */
function attempts(run: Run, taskId: string): string[] {
  return task(run, taskId).attempts.map((a) => `${a.number}:${attemptStateFromProto(a.state)}`);
}

async function failedRunOfClear(): Promise<Run> {
  const { run: started } = await cluster.client.triggerRun({ dag: 'clear' });
  const finished = await watchToEnd(started!.id);
  expect(runStateFromProto(finished.state)).toBe('failed');
  return finished;
}

async function clearError(runId: string, taskIds: string[]): Promise<TributaryError> {
  const error = await cluster.client.clearTasks(runId, taskIds).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TributaryError);
  return error as TributaryError;
}

describe('clearing tasks of a run on the cluster', () => {
  it('re-runs a failed task and its downstream task in the same run, which then succeeds, keeping the failed attempt', async () => {
    const failed = await failedRunOfClear();
    expect(taskStateFromProto(task(failed, 'flaky').state)).toBe('failed');
    expect(taskStateFromProto(task(failed, 'report').state)).toBe('upstream_failed');
    expect(attempts(failed, 'flaky')).toEqual(['1:failed']);
    const deadlineBefore = (await getRunRow(db, failed.id))!.deadlineAt!.getTime();

    const { run, clearedTaskIds } = await cluster.client.clearTasks(failed.id, ['flaky'], {
      downstream: true,
    });
    expect(clearedTaskIds).toEqual(['flaky', 'report']);
    expect(runStateFromProto(run.state)).toBe('running');
    expect(run.finishedAt).toBeUndefined();
    // The failed attempt stays in the history while the task runs again.
    expect(attempts(run, 'flaky')[0]).toBe('1:failed');

    const finished = await watchToEnd(failed.id);
    expect(runStateFromProto(finished.state)).toBe('succeeded');
    expect(finished.id).toBe(failed.id);
    expect(attempts(finished, 'flaky')).toEqual(['1:failed', '2:succeeded']);
    expect(task(finished, 'flaky').attempts[0]!.error?.message).toMatch(/exited with code 3/);
    expect(task(finished, 'flaky').attempt).toBe(2);
    expect(valueToJson(task(finished, 'flaky').output!)).toEqual({ attempt: 2 });
    expect(attempts(finished, 'report')).toEqual(['1:succeeded']);
    expect(valueToJson(task(finished, 'report').output!)).toEqual({ reported: true });
    // The reopened run's dagrun_timeout started over.
    const row = (await getRunRow(db, failed.id))!;
    expect(row.state).toBe('succeeded');
    expect(row.deadlineAt!.getTime()).toBeGreaterThan(deadlineBefore);
  });

  it('refuses to clear a task that is still running, and resumes a cancelled run by clearing its tasks', async () => {
    const { run: started } = await cluster.client.triggerRun({ dag: 'clear_slow' });
    const runId = started!.id;
    await waitFor(
      async () => taskStateFromProto(task(await cluster.client.getRun(runId), 'nap').state) === 'running',
      { description: 'nap running', timeoutMs: 20_000 },
    );
    const busy = await clearError(runId, ['nap']);
    expect(busy.code).toBe(Code.FailedPrecondition);
    expect(busy.message).toMatch(/'nap' \(running\)/);

    const cancelled = await cluster.client.cancelRun(runId, 'to resume it later');
    expect(runStateFromProto(cancelled.state)).toBe('cancelled');

    const { run, clearedTaskIds } = await cluster.client.clearTasks(runId, ['nap'], { downstream: true });
    expect(clearedTaskIds).toEqual(['nap', 'after']);
    expect(runStateFromProto(run.state)).toBe('running');

    const finished = await watchToEnd(runId);
    expect(runStateFromProto(finished.state)).toBe('succeeded');
    expect(attempts(finished, 'nap')).toEqual(['1:cancelled', '2:succeeded']);
    expect(attempts(finished, 'after')).toEqual(['1:succeeded']);
  });

  it('clears only failed tasks with failedOnly, and nothing of a run whose named tasks all succeeded', async () => {
    const failed = await failedRunOfClear();
    const { run, clearedTaskIds } = await cluster.client.clearTasks(failed.id, ['flaky', 'report'], {
      failedOnly: true,
    });
    // report ended upstream_failed, which counts as a failure.
    expect(clearedTaskIds).toEqual(['flaky', 'report']);
    expect(runStateFromProto(run.state)).toBe('running');
    const succeeded = await watchToEnd(failed.id);
    expect(runStateFromProto(succeeded.state)).toBe('succeeded');

    const again = await cluster.client.clearTasks(failed.id, ['flaky'], {
      downstream: true,
      failedOnly: true,
    });
    expect(again.clearedTaskIds).toEqual([]);
    expect(runStateFromProto(again.run.state)).toBe('succeeded');
    expect(attempts(again.run, 'flaky')).toEqual(['1:failed', '2:succeeded']);
  });

  it('answers NOT_FOUND for an unknown run and INVALID_ARGUMENT for an unknown task or none', async () => {
    const missing = await clearError(randomUUID(), ['flaky']);
    expect(missing.code).toBe(Code.NotFound);
    expect(missing.message).toMatch(/not found/);

    const failed = await failedRunOfClear();
    const unknown = await clearError(failed.id, ['flaky', 'nope']);
    expect(unknown.code).toBe(Code.InvalidArgument);
    expect(unknown.problems).toEqual([expect.objectContaining({ taskId: 'nope' })]);
    const none = await clearError(failed.id, []);
    expect(none.code).toBe(Code.InvalidArgument);
    expect(none.problems.map((p) => p.field)).toEqual(['task_ids']);
    // Refused clears changed nothing.
    expect(runStateFromProto((await cluster.client.getRun(failed.id)).state)).toBe('failed');
  });

  it('clears through the built CLI, printing what was cleared and the run state, with exit codes', async () => {
    const failed = await failedRunOfClear();
    const cli = (...args: string[]) => exec(process.execPath, [CLI, '--server', cluster.address, ...args]);

    const unknown = await cli('clear', failed.id, 'nope').catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 2 });
    expect((unknown as { stderr: string }).stderr).toMatch(
      /^error: \[invalid_argument\] unknown task 'nope'/,
    );

    const { stdout } = await cli('clear', failed.id, 'flaky', '--downstream');
    expect(stdout).toBe(`cleared 2 tasks: flaky, report\n${failed.id}: running\n`);
    expect(runStateFromProto((await watchToEnd(failed.id)).state)).toBe('succeeded');

    const json = JSON.parse((await cli('clear', failed.id, 'report', '--failed-only', '--json')).stdout) as {
      cleared: string[];
      run: { id: string; state: string };
    };
    expect(json.cleared).toEqual([]);
    expect(json.run).toMatchObject({ id: failed.id, state: 'succeeded' });

    const missing = await cli('clear', randomUUID(), 'flaky').catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 1 });
    expect((missing as { stderr: string }).stderr).toMatch(/^error: \[not_found\]/);
  });
});
