import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createClient } from '@tributary/client';
import { Code, TributaryError } from '@tributary/core';
import {
  type Run,
  runStateFromProto,
  type StreamTaskLogsResponse,
  taskStateFromProto,
} from '@tributary/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnProcess, stopAll, waitFor } from '../harness/index.js';
import { CLI, type Cluster, REPO_ROOT, startCluster } from './cluster.js';

const exec = promisify(execFile);

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({
    workers: 1,
    coordinatorEnv: { TRIBUTARY_LOG_RETENTION: '2h', TRIBUTARY_LOG_MAX_BYTES: '64MiB' },
  });
  await cluster.client.deployDagFolder(join(REPO_ROOT, 'test', 'fixtures', 'dags', 'task-logs'));
});

afterAll(async () => {
  cluster?.client.close();
  await stopAll();
});

/** Runs the built CLI against the cluster; exit code and output, whatever the code. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, '--server', cluster.address, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function taskState(runId: string, taskId: string): Promise<string> {
  const run = await cluster.client.getRun(runId);
  const task = run.tasks.find((t) => t.taskId === taskId);
  return task === undefined ? 'missing' : taskStateFromProto(task.state);
}

/** Triggers a run and waits until `taskId` has been dispatched (so that its latest attempt exists). */
async function runWithDispatched(taskId: string): Promise<string> {
  const { run } = await cluster.client.triggerRun({ dag: 'task_logs' });
  const runId = run!.id;
  await waitFor(
    async () =>
      ((await cluster.client.getRun(runId)).tasks.find((t) => t.taskId === taskId)?.attempt ?? 0) > 0,
    { description: `task ${taskId} to be dispatched` },
  );
  return runId;
}

async function finishedRun(runId: string): Promise<Run> {
  for await (const message of cluster.client.watchRun(runId)) {
    if (message.event.case === 'finished') return message.event.value;
  }
  throw new Error(`run ${runId} did not finish`);
}

async function readAll(runId: string, taskId: string, attempt = 0): Promise<StreamTaskLogsResponse[]> {
  const responses: StreamTaskLogsResponse[] = [];
  for await (const response of cluster.client.streamTaskLogs(runId, taskId, { attempt })) {
    responses.push(response);
  }
  return responses;
}

function lineTexts(responses: readonly StreamTaskLogsResponse[]): string[] {
  return responses.flatMap((response) => response.lines.map((line) => line.line));
}

async function logsError(runId: string, taskId: string, attempt = 0): Promise<TributaryError> {
  const error = await readAll(runId, taskId, attempt).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(TributaryError);
  return error as TributaryError;
}

const TICKS = [
  'tick 1',
  'tick 2',
  'tick 3',
  'tick 4',
  'tick 5',
  'tick 6',
  'tick 7',
  'tick 8',
  'done ticking',
];

describe('task logs on the cluster', () => {
  it('streams a running task’s lines through gRPC as they are logged, ending when the attempt ends', async () => {
    const runId = await runWithDispatched('chatty');
    const received: string[] = [];
    const statesAtFirstLine: string[] = [];
    for await (const response of cluster.client.streamTaskLogs(runId, 'chatty', { follow: true })) {
      if (received.length === 0) statesAtFirstLine.push(await taskState(runId, 'chatty'));
      expect(response.attempt).toBe(1);
      received.push(...response.lines.map((line) => line.line));
    }
    // The first lines came while the task still ran (the coordinator may not have applied its start
    // yet: queued or running, never finished); the stream then ended with the attempt, complete.
    expect(statesAtFirstLine).toHaveLength(1);
    expect(['queued', 'running']).toContain(statesAtFirstLine[0]);
    expect(received).toEqual(TICKS);
    await waitFor(async () => (await taskState(runId, 'chatty')) === 'succeeded', {
      description: 'chatty to succeed',
    });
    await finishedRun(runId);
  });

  it('follows with tributary logs -f while the task runs, in the local runner’s line format, and exits 0 at its end', async () => {
    const runId = await runWithDispatched('chatty');
    const follower = spawnProcess(
      process.execPath,
      [CLI, '--server', cluster.address, 'logs', runId, 'chatty', '-f'],
      { name: 'logs -f' },
    );
    await follower.waitForOutput(/tick 1/, 10_000);
    // Still out (queued if the coordinator has not applied its start yet), not finished.
    expect(['queued', 'running']).toContain(await taskState(runId, 'chatty'));
    const status = await follower.exited;
    expect(status.code).toBe(0);
    const lines = follower.output().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z stdout tick 1$/);
    expect(lines.at(-1)).toMatch(/Z stderr done ticking$/);
    expect(lines.map((line) => line.replace(/^\S+ \S+ +/, ''))).toEqual(TICKS);
    await finishedRun(runId);
  });

  it('keeps every attempt’s lines: the latest by default, an earlier one with --attempt', async () => {
    const { run } = await cluster.client.triggerRun({ dag: 'task_logs' });
    const finished = await finishedRun(run!.id);
    expect(runStateFromProto(finished.state)).toBe('succeeded');

    const latest = await readAll(run!.id, 'retried');
    expect(latest.every((response) => response.attempt === 2)).toBe(true);
    expect(lineTexts(latest)).toEqual(['attempt 2 starting', '{"ok": true}']);
    expect(lineTexts(await readAll(run!.id, 'retried', 1))).toEqual([
      'attempt 1 starting',
      'attempt 1 failing',
    ]);

    const first = await cli('logs', run!.id, 'retried', '--attempt', '1');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Z stdout attempt 1 starting\n.*Z stderr attempt 1 failing\n$/);
    expect(first.stdout).not.toContain('attempt 2');
    const last = await cli('logs', run!.id, 'retried');
    expect(last.stdout).toContain('stdout attempt 2 starting');
    expect(last.stdout).not.toContain('attempt 1');

    // ctx.log lines keep their level; a mapped instance has its own log.
    const noted = await cli('logs', run!.id, 'noted');
    expect(noted.stdout).toMatch(/Z warn {3}careful now\n/);
    expect(noted.stdout).toMatch(/Z stdout plain console line\n/);
    expect(lineTexts(await readAll(run!.id, 'shout[1]'))).toEqual(['ho']);
    expect(lineTexts(await readAll(run!.id, 'shout[0]'))).toEqual(['hey']);
  });

  it('answers NotFound for an unknown run or task and InvalidArgument for a bad id or attempt', async () => {
    const { run } = await cluster.client.triggerRun({ dag: 'task_logs' });
    await finishedRun(run!.id);
    const unknownRun = await logsError(randomUUID(), 'chatty');
    expect(unknownRun.code).toBe(Code.NotFound);
    expect(unknownRun.message).toMatch(/run .* not found/);
    const unknownTask = await logsError(run!.id, 'nosuch');
    expect(unknownTask.code).toBe(Code.NotFound);
    expect(unknownTask.message).toContain("task 'nosuch' not found");
    expect((await logsError('not-a-run', 'chatty')).code).toBe(Code.InvalidArgument);
    const noAttempt = await logsError(run!.id, 'retried', 5);
    expect(noAttempt.code).toBe(Code.InvalidArgument);
    expect(noAttempt.message).toContain('has no attempt 5 (it has 1, 2)');

    const missing = await cli('logs', run!.id, 'nosuch');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`error: [not_found] task 'nosuch' not found in run ${run!.id}\n`);
    const badAttempt = await cli('logs', run!.id, 'retried', '--attempt', '5');
    expect(badAttempt.code).toBe(2);
    expect(badAttempt.stderr).toContain('has no attempt 5');
  });

  it('is served by a follower coordinator too (lines come from NATS, attempts from Postgres)', async () => {
    const { run } = await cluster.client.triggerRun({ dag: 'task_logs' });
    await finishedRun(run!.id);
    const followerAddress = `127.0.0.1:${await freePort()}`;
    const follower = await cluster.startCoordinator(followerAddress);
    const client = createClient({ address: followerAddress });
    try {
      const lines: string[] = [];
      for await (const response of client.streamTaskLogs(run!.id, 'retried', { attempt: 1, follow: true })) {
        lines.push(...response.lines.map((line) => line.line));
      }
      expect(lines).toEqual(['attempt 1 starting', 'attempt 1 failing']);
      await expect(
        (async () => {
          for await (const _ of client.streamTaskLogs(randomUUID(), 'retried')) expect.fail('no lines');
        })(),
      ).rejects.toMatchObject({ code: Code.NotFound });
    } finally {
      client.close();
      await follower.stop();
    }
  });

  it('keeps the logs in a stream with the configured retention limits', async () => {
    const nc = await connect({ servers: cluster.nats.url });
    try {
      const info = await (await jetstreamManager(nc)).streams.info('TRIB_LOGS');
      expect(info.config).toMatchObject({
        retention: 'limits',
        discard: 'old',
        max_age: 2 * 3_600 * 1_000_000_000,
        max_bytes: 64 * 1024 * 1024,
      });
      expect(info.state.messages).toBeGreaterThan(0);
    } finally {
      await nc.close();
    }
  });
});
