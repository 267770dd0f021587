import { fileURLToPath } from 'node:url';
import { Code, TributaryError } from '@tributary/core';
import { jsonToValue, LogStream, RunState, TaskState, timestamp, WorkerState } from '@tributary/proto';
import { describe, expect, it } from 'vitest';
import { cliAgainst as cli, serveFake as serve } from '../fake-server.test-util.js';
import { runCliInProcess } from '../run-cli.test-util.js';

// The client commands against a fake TributaryService on a free port: real gRPC, no coordinator.

const T0 = Date.UTC(2025, 0, 1);
const EXAMPLE = fileURLToPath(new URL('../../../../examples/diamond', import.meta.url));

const RUN = {
  id: 'r1',
  dag: 'diamond',
  dagVersion: 2,
  state: RunState.RUNNING,
  createdAt: timestamp(T0),
  tasks: [
    { taskId: 'extract', state: TaskState.PENDING, pool: 'default' },
    { taskId: 'load', state: TaskState.PENDING, pool: 'default' },
  ],
};

const FINISHED = {
  ...RUN,
  state: RunState.SUCCEEDED,
  finishedAt: timestamp(T0 + 2000),
  tasks: [
    {
      taskId: 'extract',
      state: TaskState.SUCCEEDED,
      attempt: 1,
      workerId: 'w1',
      output: jsonToValue({ n: 1 }),
    },
    {
      taskId: 'load',
      state: TaskState.SUCCEEDED,
      attempt: 2,
      workerId: 'w2',
      startedAt: timestamp(T0 + 500),
      finishedAt: timestamp(T0 + 1750),
      output: jsonToValue(7),
    },
  ],
};

describe('client commands', () => {
  it('trigger --wait --json prints the same lines as run --json and exits 0 when the run succeeded', async () => {
    let triggered: unknown;
    const server = await serve({
      triggerRun: (request) => {
        triggered = { dag: request.dag, params: request.params, requestId: request.requestId };
        return { run: RUN, created: true };
      },
      async *watchRun() {
        yield { event: { case: 'snapshot', value: RUN } };
        yield {
          event: {
            case: 'task',
            value: { taskId: 'extract', state: TaskState.RUNNING, attempt: 1, at: timestamp(T0 + 1) },
          },
        };
        yield { event: { case: 'finished', value: FINISHED } };
      },
    });
    const { code, out } = await cli(
      server,
      'trigger',
      'diamond',
      '--param',
      'n=5',
      '--request-id',
      'q1',
      '--wait',
      '--json',
    );
    expect(code).toBe(0);
    expect(triggered).toEqual({ dag: 'diamond', params: { n: 5 }, requestId: 'q1' });
    const lines = out
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(lines[1]).toEqual({
      type: 'task',
      task: 'extract',
      state: 'running',
      attempt: 1,
      at: '2025-01-01T00:00:00.001Z',
    });
    expect(lines.at(-1)).toEqual({
      run: { id: 'r1', dag: 'diamond', state: 'succeeded' },
      tasks: {
        extract: { state: 'succeeded', attempts: 1, output: { n: 1 } },
        load: { state: 'succeeded', attempts: 2, output: 7 },
      },
    });
  });

  it('trigger without --wait prints only the run id', async () => {
    const server = await serve({ triggerRun: () => ({ run: RUN, created: true }) });
    expect(await cli(server, 'trigger', 'diamond')).toEqual({ code: 0, out: 'r1\n', err: '' });
  });

  it('status prints the run header and a task table', async () => {
    const server = await serve({ getRun: () => ({ run: FINISHED }) });
    const { code, out } = await cli(server, 'status', 'r1');
    expect(code).toBe(0);
    expect(out).toContain('dag      diamond (version 2)');
    expect(out).toContain('state    succeeded');
    expect(out).toContain('duration 2.00s');
    expect(out).toMatch(/^TASK +STATE +ATTEMPT +WORKER +DURATION +ERROR$/m);
    expect(out).toMatch(/^load +succeeded +2 +w2 +1\.25s$/m);
    const json = JSON.parse((await cli(server, 'status', 'r1', '--json')).out) as Record<string, unknown>;
    expect(json).toMatchObject({ id: 'r1', dag: 'diamond', version: 2, state: 'succeeded' });
    expect(json.tasks).toContainEqual(
      expect.objectContaining({ id: 'load', state: 'succeeded', attempt: 2, output: 7 }),
    );
  });

  it('runs, dags and cancel print their tables and results', async () => {
    const server = await serve({
      listRuns: (request) => ({
        runs: [{ ...FINISHED, tasks: [], taskCounts: { succeeded: 2 } }],
        nextPageToken: `after-${request.pageSize}`,
      }),
      listDags: () => ({
        dags: [
          {
            name: 'diamond',
            versionCount: 2,
            latest: { dag: 'diamond', version: 2, bundleHash: 'abcdef0123456789', taskCount: 4 },
          },
        ],
      }),
      cancelRun: () => ({ run: { ...RUN, state: RunState.CANCELLED } }),
    });
    const runs = await cli(server, 'runs', 'diamond', '--limit', '1');
    expect(runs.out).toMatch(/^r1 +diamond +2 +succeeded +2025-01-01T00:00:00.000Z +2.00s +2 succeeded$/m);
    expect(runs.out).toContain('more: --page-token after-1');
    const dags = await cli(server, 'dags');
    expect(dags.out).toMatch(/^diamond +2 +4 +- +- +- +no\b/m);
    expect(await cli(server, 'cancel', 'r1')).toEqual({ code: 0, out: 'r1: cancelled\n', err: '' });
  });

  it('workers passes --pool to the server and prints its workers as a table or JSON', async () => {
    const pools: string[] = [];
    const server = await serve({
      listWorkers: (request) => {
        pools.push(request.pool);
        return {
          workers: [
            {
              id: 'w1',
              state: WorkerState.LIVE,
              pools: ['gpu'],
              concurrency: 4,
              lastHeartbeatAt: timestamp(T0),
            },
          ],
        };
      },
    });
    const table = await runCliInProcess(['workers', '--pool', 'gpu', '--server', server]);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^w1 +live +- +gpu +0\/4 +- +- +\d+d ago$/m);
    const json = await cli(server, 'workers', '--json');
    expect(JSON.parse(json.out)).toMatchObject({ workers: [{ id: 'w1', state: 'live', pools: ['gpu'] }] });
    expect(pools).toEqual(['gpu', '']);
  });

  it('clear sends the tasks and flags and prints what was cleared and the run state', async () => {
    const requests: unknown[] = [];
    const server = await serve({
      clearTasks: (request) => {
        const { runId, taskIds, downstream, failedOnly } = request;
        requests.push({ runId, taskIds, downstream, failedOnly });
        const cleared = request.failedOnly ? [] : ['extract', 'load'];
        return {
          run: { ...RUN, state: cleared.length > 0 ? RunState.RUNNING : RunState.FAILED },
          clearedTaskIds: cleared,
        };
      },
    });
    expect(await cli(server, 'clear', 'r1', 'extract', '--downstream')).toEqual({
      code: 0,
      out: 'cleared 2 tasks: extract, load\nr1: running\n',
      err: '',
    });
    expect((await cli(server, 'clear', 'r1', 'extract', 'load', '--failed-only')).out).toBe(
      'nothing to clear: no failed task among those named\nr1: failed\n',
    );
    const json = JSON.parse((await cli(server, 'clear', 'r1', 'extract', '--json')).out) as Record<
      string,
      unknown
    >;
    expect(json.cleared).toEqual(['extract', 'load']);
    expect(json.run).toMatchObject({ id: 'r1', state: 'running' });
    expect(requests).toEqual([
      { runId: 'r1', taskIds: ['extract'], downstream: true, failedOnly: false },
      { runId: 'r1', taskIds: ['extract', 'load'], downstream: false, failedOnly: true },
      { runId: 'r1', taskIds: ['extract'], downstream: false, failedOnly: false },
    ]);
  });

  it('clear exits 1 for a task still running and 2 for an unknown task, printing the server error', async () => {
    const server = await serve({
      clearTasks: (request) => {
        if (request.taskIds.includes('nope'))
          throw new TributaryError(Code.InvalidArgument, "unknown task 'nope'", {
            problems: [{ taskId: 'nope', message: "no task 'nope' in the DAG" }],
          });
        throw new TributaryError(Code.FailedPrecondition, "cannot clear 'extract' (running)");
      },
    });
    expect(await cli(server, 'clear', 'r1', 'extract')).toEqual({
      code: 1,
      out: '',
      err: "error: [failed_precondition] cannot clear 'extract' (running)\n",
    });
    const unknown = await cli(server, 'clear', 'r1', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("error: [invalid_argument] unknown task 'nope'\n");
    expect(unknown.err).toContain("no task 'nope' in the DAG");
  });

  it('clear without a task is a usage error, exiting 2 before calling the server', async () => {
    const { code, err } = await cli('127.0.0.1:1', 'clear', 'r1');
    expect(code).toBe(2);
    expect(err).toContain("missing required argument 'task'");
  });

  it('prints a server error with its code name and problems, exiting 2 for invalid arguments', async () => {
    const server = await serve({
      triggerRun: () => {
        throw new TributaryError(Code.InvalidArgument, 'invalid params', {
          problems: [{ field: 'params.n', message: 'must be integer' }],
        });
      },
      getRun: () => {
        throw new TributaryError(Code.NotFound, "no run 'nope'");
      },
    });
    expect(await cli(server, 'trigger', 'diamond')).toEqual({
      code: 2,
      out: '',
      err: "error: [invalid_argument] invalid params\n  field 'params.n': must be integer\n",
    });
    expect(await cli(server, 'status', 'nope')).toEqual({
      code: 1,
      out: '',
      err: "error: [not_found] no run 'nope'\n",
    });
  });

  it('deploy validates the folder, registers it and reports the version or that nothing changed', async () => {
    const created: boolean[] = [true, false];
    let files: string[] = [];
    const server = await serve({
      registerDag: (request) => {
        files = (request.bundle?.files ?? []).map((file) => file.path);
        const version = { dag: 'diamond', version: 3, bundleHash: 'abcdef0123456789' };
        return { version, created: created.shift() ?? false };
      },
    });
    const first = await cli(server, 'deploy', EXAMPLE);
    expect(first.code).toBe(0);
    expect(first.out.trimEnd().split('\n').at(-1)).toBe('deployed diamond version 3 (abcdef012345)');
    expect(files).toContain('dag.yaml');
    const second = await cli(server, 'deploy', EXAMPLE);
    expect(second.out.trimEnd().split('\n').at(-1)).toBe('unchanged: diamond version 3');
  });

  it('deploy refuses an invalid folder with its problems, before calling the server', async () => {
    let called = false;
    const server = await serve({
      registerDag: () => {
        called = true;
        return {};
      },
    });
    const { code, out } = await cli(server, 'deploy', fileURLToPath(new URL('.', import.meta.url)));
    expect(code).toBe(1);
    expect(out).toContain('no dag.yaml');
    expect(called).toBe(false);
  });

  it('exits 2 on a bad flag value without calling the server', async () => {
    const { code, err } = await cli('127.0.0.1:1', 'runs', '--limit', 'zero');
    expect(code).toBe(2);
    expect(err).toContain('must be a positive integer');
  });
});

describe('logs', () => {
  it('prints each line as the local runner does, passing --attempt and -f, and reports lost lines on stderr', async () => {
    const requests: { attempt: number; follow: boolean; taskId: string }[] = [];
    const server = await serve({
      async *streamTaskLogs(request) {
        requests.push({ attempt: request.attempt, follow: request.follow, taskId: request.taskId });
        yield {
          attempt: 2,
          lines: [
            { at: timestamp(T0), stream: LogStream.STDOUT, line: 'extracting' },
            { at: timestamp(T0 + 5), stream: LogStream.LOG, level: 'warn', line: 'slow source' },
          ],
        };
        yield {
          attempt: 2,
          dropped: 3,
          lines: [{ at: timestamp(T0 + 9), stream: LogStream.STDERR, line: 'done' }],
        };
      },
    });
    const result = await cli(server, 'logs', 'r1', 'load[1]', '--attempt', '2', '-f');
    expect(result).toMatchObject({ code: 0 });
    expect(result.out).toBe(
      '2025-01-01T00:00:00.000Z stdout extracting\n' +
        '2025-01-01T00:00:00.005Z warn   slow source\n' +
        '2025-01-01T00:00:00.009Z stderr done\n',
    );
    expect(result.err).toBe('… 3 line(s) of attempt 2 were lost before these\n');
    expect(requests).toEqual([{ attempt: 2, follow: true, taskId: 'load[1]' }]);
    await cli(server, 'logs', 'r1', 'extract');
    expect(requests[1]).toEqual({ attempt: 0, follow: false, taskId: 'extract' });
  });

  it('names the missing task with exit 1, and rejects a bad --attempt with exit 2', async () => {
    const server = await serve({
      // biome-ignore lint/correctness/useYield: the fake fails before any line
      async *streamTaskLogs(request) {
        throw new TributaryError(Code.NotFound, `task '${request.taskId}' not found in run ${request.runId}`);
      },
    });
    const missing = await cli(server, 'logs', 'r1', 'nosuch');
    expect(missing).toEqual({
      code: 1,
      out: '',
      err: "error: [not_found] task 'nosuch' not found in run r1\n",
    });
    const bad = await cli(server, 'logs', 'r1', 'extract', '--attempt', '0');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("option '--attempt <n>' argument '0' is invalid");
  });
});
