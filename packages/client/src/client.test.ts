import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { Code, TributaryError } from '@tributary/core';
import {
  BackfillAction,
  BundleSchema,
  grpcHandlers,
  grpcServiceDefinition,
  millisFromTimestamp,
  RunState,
  type ServiceImplementation,
  TributaryService,
  timestamp,
} from '@tributary/proto';
import { HealthImplementation } from 'grpc-health-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, DEFAULT_SERVER_ADDRESS, type TributaryClient } from './client.js';

type Impl = ServiceImplementation<typeof TributaryService>;

const unimplemented = () => {
  throw new TributaryError(Code.Unimplemented, 'not part of this fake');
};

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Serves a fake TributaryService (plus grpc.health.v1) on a free port; returns a client of it. */
async function serve(overrides: Partial<Impl> = {}, health?: HealthImplementation): Promise<TributaryClient> {
  const impl: Impl = {
    registerDag: unimplemented,
    listDags: unimplemented,
    triggerRun: unimplemented,
    getRun: unimplemented,
    listRuns: unimplemented,
    watchRun: () => ({ [Symbol.asyncIterator]: unimplemented }),
    cancelRun: unimplemented,
    clearTasks: unimplemented,
    listWorkers: unimplemented,
    streamTaskLogs: () => ({ [Symbol.asyncIterator]: unimplemented }),
    setDagPaused: unimplemented,
    backfill: unimplemented,
    listRejectedEvents: unimplemented,
    ...overrides,
  };
  const server = new grpc.Server();
  server.addService(grpcServiceDefinition(TributaryService), grpcHandlers(TributaryService, impl));
  health?.addToServer(server);
  const port = await bind(server);
  cleanups.push(() => server.forceShutdown());
  const client = createClient({ address: `127.0.0.1:${port}` });
  cleanups.push(() => client.close());
  return client;
}

function bind(server: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    );
  });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function within<T>(promise: Promise<T>, ms = 2000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not settled after ${ms}ms`)), ms)),
  ]);
}

describe('createClient', () => {
  it('defaults to the documented server address', () => {
    expect(DEFAULT_SERVER_ADDRESS).toBe('127.0.0.1:7070');
  });

  it('registers a bundle given as a message or as its binary encoding', async () => {
    const seen: string[][] = [];
    const client = await serve({
      registerDag: async (request) => {
        seen.push(request.bundle?.files.map((f) => f.path) ?? []);
        return { version: { dag: 'etl', version: seen.length }, created: true };
      },
    });
    const bundle = create(BundleSchema, {
      files: [{ path: 'dag.yaml', content: new TextEncoder().encode('x') }],
    });
    expect((await client.registerDag(bundle)).version?.version).toBe(1);
    expect((await client.registerDag(toBinary(BundleSchema, bundle))).version?.version).toBe(2);
    expect(seen).toEqual([['dag.yaml'], ['dag.yaml']]);
  });

  it('rejects bytes that are not a Bundle before calling the server', async () => {
    const client = await serve();
    await expect(client.registerDag(new Uint8Array([0xff, 0xff, 0xff]))).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
  });

  it('deploys a DAG folder by packing and registering it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-client-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'dag.yaml'), 'name: etl\n');
    const client = await serve({
      registerDag: async (request) => ({
        version: { dag: request.bundle?.files[0]?.path ?? '' },
        created: true,
      }),
    });
    expect((await client.deployDagFolder(dir)).version?.dag).toBe('dag.yaml');
  });

  it('passes trigger, list, get and cancel requests through and unwraps their runs', async () => {
    const client = await serve({
      triggerRun: async (r) => ({ run: { id: `${r.dag}-${r.requestId}-${r.version}`, params: r.params } }),
      listDags: async () => ({ dags: [{ name: 'etl', versionCount: 2 }] }),
      getRun: async (r) => ({ run: { id: r.runId } }),
      listRuns: async (r) => ({ runs: [{ dag: r.dag }], nextPageToken: `${r.pageToken}+${r.pageSize}` }),
      cancelRun: async (r) => ({ run: { id: r.runId, dag: r.reason } }),
    });
    const triggered = await client.triggerRun({
      dag: 'etl',
      params: { date: '2024-01-01' },
      requestId: 'q',
      version: 2,
    });
    expect(triggered.run?.id).toBe('etl-q-2');
    expect(triggered.run?.params).toEqual({ date: '2024-01-01' });
    expect((await client.listDags()).map((d) => [d.name, d.versionCount])).toEqual([['etl', 2]]);
    expect((await client.getRun('r1')).id).toBe('r1');
    const page = await client.listRuns({ dag: 'etl', pageSize: 10, pageToken: 'p' });
    expect([page.runs[0]?.dag, page.nextPageToken]).toEqual(['etl', 'p+10']);
    expect(await client.cancelRun('r2', 'enough')).toMatchObject({ id: 'r2', dag: 'enough' });
  });

  it('sends a clear with its flags and returns the run and the cleared task ids', async () => {
    const requests: unknown[] = [];
    const client = await serve({
      clearTasks: async (r) => {
        requests.push({
          runId: r.runId,
          taskIds: r.taskIds,
          downstream: r.downstream,
          failedOnly: r.failedOnly,
        });
        return { run: { id: r.runId }, clearedTaskIds: r.downstream ? [...r.taskIds, 'load'] : r.taskIds };
      },
    });
    const cleared = await client.clearTasks('r3', ['extract'], { downstream: true, failedOnly: true });
    expect(cleared.run.id).toBe('r3');
    expect(cleared.clearedTaskIds).toEqual(['extract', 'load']);
    expect((await client.clearTasks('r4', ['a', 'b'])).clearedTaskIds).toEqual(['a', 'b']);
    expect(requests).toEqual([
      { runId: 'r3', taskIds: ['extract'], downstream: true, failedOnly: true },
      { runId: 'r4', taskIds: ['a', 'b'], downstream: false, failedOnly: false },
    ]);
  });

  it('lists workers, passing the pool filter and sending an empty one by default', async () => {
    const pools: string[] = [];
    const client = await serve({
      listWorkers: async (r) => {
        pools.push(r.pool);
        return { workers: [{ id: `serving-${r.pool || 'all'}`, pools: ['gpu'], concurrency: 2 }] };
      },
    });
    expect((await client.listWorkers({ pool: 'gpu' })).map((w) => [w.id, w.pools, w.concurrency])).toEqual([
      ['serving-gpu', ['gpu'], 2],
    ]);
    expect((await client.listWorkers()).map((w) => w.id)).toEqual(['serving-all']);
    expect(pools).toEqual(['gpu', '']);
  });

  it('rejects with a TributaryError carrying the status code, message and problems', async () => {
    const client = await serve({
      triggerRun: async () => {
        throw new TributaryError(Code.InvalidArgument, 'params do not match the schema', {
          problems: [{ message: 'must be a date', field: 'params.date', taskId: 't' }],
        });
      },
    });
    const error = await client.triggerRun({ dag: 'etl' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TributaryError);
    expect(error).toMatchObject({
      code: Code.InvalidArgument,
      message: 'params do not match the schema',
      problems: [{ message: 'must be a date', field: 'params.date', taskId: 't' }],
    });
  });

  it('names the address it could not reach', async () => {
    const server = new grpc.Server();
    const port = await bind(server);
    server.forceShutdown();
    const client = createClient({ address: `127.0.0.1:${port}` });
    cleanups.push(() => client.close());
    await expect(client.listDags()).rejects.toMatchObject({
      code: Code.Unavailable,
      message: expect.stringContaining(`could not reach the Tributary server at 127.0.0.1:${port}`),
    });
  });

  it('rejects calls after close with FailedPrecondition', async () => {
    const client = await serve({ listDags: async () => ({ dags: [] }) });
    client.close();
    await expect(client.listDags()).rejects.toMatchObject({ code: Code.FailedPrecondition });
  });
});

describe('schedules, backfills and rejected events', () => {
  const DAY = 86_400_000;
  const JAN_1 = Date.UTC(2024, 0, 1);

  it('pauses and unpauses a DAG, resolving with the DAG the server returns', async () => {
    const requests: [string, boolean][] = [];
    const client = await serve({
      setDagPaused: async (r) => {
        requests.push([r.dag, r.paused]);
        return { dag: { name: r.dag, paused: r.paused, schedule: { cron: '@daily', timezone: 'UTC' } } };
      },
    });
    const paused = await client.setDagPaused('etl', true);
    expect([paused.name, paused.paused, paused.schedule?.cron]).toEqual(['etl', true, '@daily']);
    expect((await client.setDagPaused('etl', false)).paused).toBe(false);
    expect(requests).toEqual([
      ['etl', true],
      ['etl', false],
    ]);
  });

  it('rejects pausing an unknown DAG with NotFound', async () => {
    const client = await serve({
      setDagPaused: async (r) => {
        throw new TributaryError(Code.NotFound, `no DAG '${r.dag}'`);
      },
    });
    await expect(client.setDagPaused('nope', true)).rejects.toMatchObject({
      code: Code.NotFound,
      message: "no DAG 'nope'",
    });
  });

  it('sends a backfill range given as Dates or epoch milliseconds, and returns its runs in order', async () => {
    const requests: unknown[] = [];
    const client = await serve({
      backfill: async (r) => {
        const from = millisFromTimestamp(r.from);
        const to = millisFromTimestamp(r.to);
        requests.push({ dag: r.dag, from, to, rerunFailed: r.rerunFailed });
        const runs = [];
        for (let day = from ?? 0; day <= (to ?? -1); day += DAY) {
          runs.push({
            logicalDate: timestamp(day),
            runId: `run-${(day - JAN_1) / DAY}`,
            action: BackfillAction.CREATED,
            state: RunState.QUEUED,
          });
        }
        return { runs };
      },
    });
    const runs = await client.backfill({ dag: 'etl', from: new Date(JAN_1), to: JAN_1 + 2 * DAY });
    expect(runs.map((run) => [millisFromTimestamp(run.logicalDate), run.runId, run.action])).toEqual([
      [JAN_1, 'run-0', BackfillAction.CREATED],
      [JAN_1 + DAY, 'run-1', BackfillAction.CREATED],
      [JAN_1 + 2 * DAY, 'run-2', BackfillAction.CREATED],
    ]);
    await client.backfill({ dag: 'etl', from: JAN_1, to: JAN_1, rerunFailed: true });
    expect(requests).toEqual([
      { dag: 'etl', from: JAN_1, to: JAN_1 + 2 * DAY, rerunFailed: false },
      { dag: 'etl', from: JAN_1, to: JAN_1, rerunFailed: true },
    ]);
  });

  it('refuses an invalid Date as a backfill bound without calling the server', async () => {
    let calls = 0;
    const client = await serve({
      backfill: async () => {
        calls++;
        return { runs: [] };
      },
    });
    await expect(
      client.backfill({ dag: 'etl', from: new Date('not a date'), to: JAN_1 }),
    ).rejects.toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("'from'") });
    await expect(client.backfill({ dag: 'etl', from: JAN_1, to: Number.NaN })).rejects.toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringContaining("'to'"),
    });
    expect(calls).toBe(0);
  });

  it("passes the server's backfill errors through with their codes", async () => {
    const client = await serve({
      backfill: async (r) => {
        if (r.dag === 'manual')
          throw new TributaryError(Code.FailedPrecondition, "DAG 'manual' has no schedule");
        throw new TributaryError(Code.InvalidArgument, 'from is after to');
      },
    });
    await expect(client.backfill({ dag: 'manual', from: JAN_1, to: JAN_1 })).rejects.toMatchObject({
      code: Code.FailedPrecondition,
    });
    await expect(client.backfill({ dag: 'etl', from: JAN_1 + DAY, to: JAN_1 })).rejects.toMatchObject({
      code: Code.InvalidArgument,
      message: 'from is after to',
    });
  });

  it('lists rejected events with the DAG filter and limit, sending empty defaults', async () => {
    const requests: [string, number][] = [];
    const client = await serve({
      listRejectedEvents: async (r) => {
        requests.push([r.dag, r.limit]);
        return {
          events: [
            {
              dag: r.dag || 'etl',
              subject: 'orders.created',
              streamSeq: 42n,
              error: 'bad params',
              payload: '{}',
            },
          ],
        };
      },
    });
    const events = await client.listRejectedEvents({ dag: 'billing', limit: 5 });
    expect(events.map((e) => [e.dag, e.subject, e.streamSeq, e.error])).toEqual([
      ['billing', 'orders.created', 42n, 'bad params'],
    ]);
    expect((await client.listRejectedEvents())[0]?.dag).toBe('etl');
    expect(requests).toEqual([
      ['billing', 5],
      ['', 0],
    ]);
  });
});

describe('watchRun', () => {
  it('yields every message of the stream, then ends', async () => {
    const client = await serve({
      watchRun: async function* (request) {
        yield { event: { case: 'snapshot', value: { id: request.runId } } };
        yield { event: { case: 'task', value: { taskId: 'extract' } } };
        yield { event: { case: 'finished', value: { id: request.runId } } };
      },
    });
    const cases: (string | undefined)[] = [];
    for await (const message of client.watchRun('r1')) cases.push(message.event.case);
    expect(cases).toEqual(['snapshot', 'task', 'finished']);
  });

  it('maps a stream error to a TributaryError', async () => {
    const client = await serve({
      watchRun: async function* () {
        yield* [];
        throw new TributaryError(Code.NotFound, "run 'r9' not found");
      },
    });
    const iterate = async () => {
      for await (const _ of client.watchRun('r9')) expect.fail('no message expected');
    };
    await expect(iterate()).rejects.toMatchObject({ code: Code.NotFound, message: "run 'r9' not found" });
  });

  it('stops on abort: throws Cancelled and the server stream ends', async () => {
    const serverStopped = deferred();
    const client = await serve({
      watchRun: async function* (request, _call, signal) {
        try {
          yield { event: { case: 'snapshot', value: { id: request.runId } } };
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
        } finally {
          serverStopped.resolve();
        }
      },
    });
    const controller = new AbortController();
    const received: string[] = [];
    const iterate = async () => {
      for await (const message of client.watchRun('r1', { signal: controller.signal })) {
        received.push(message.event.case ?? '');
        controller.abort();
      }
    };
    await expect(iterate()).rejects.toMatchObject({
      code: Code.Cancelled,
      message: "watching run 'r1' was aborted",
    });
    expect(received).toEqual(['snapshot']);
    await expect(within(serverStopped.promise)).resolves.toBeUndefined();
  });

  it('cancels the server stream when the caller leaves the loop early', async () => {
    const serverStopped = deferred();
    const client = await serve({
      watchRun: async function* (request, _call, signal) {
        try {
          yield { event: { case: 'snapshot', value: { id: request.runId } } };
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
        } finally {
          serverStopped.resolve();
        }
      },
    });
    for await (const _ of client.watchRun('r1')) break;
    await expect(within(serverStopped.promise)).resolves.toBeUndefined();
  });

  it('throws Cancelled without calling the server when the signal is already aborted', async () => {
    let calls = 0;
    const client = await serve({
      watchRun: async function* () {
        calls++;
        yield* [];
      },
    });
    const iterate = async () => {
      for await (const _ of client.watchRun('r1', { signal: AbortSignal.abort() })) expect.fail('no message');
    };
    await expect(iterate()).rejects.toMatchObject({ code: Code.Cancelled });
    expect(calls).toBe(0);
  });
});

describe('checkHealth', () => {
  it("reports the server's health status per service, SERVICE_UNKNOWN for an unknown one", async () => {
    const health = new HealthImplementation({
      '': 'SERVING',
      'tributary.v1.TributaryService': 'NOT_SERVING',
    });
    const client = await serve({}, health);
    expect(await client.checkHealth()).toBe('SERVING');
    expect(await client.checkHealth('tributary.v1.TributaryService')).toBe('NOT_SERVING');
    expect(await client.checkHealth('nope')).toBe('SERVICE_UNKNOWN');
    health.setStatus('', 'NOT_SERVING');
    expect(await client.checkHealth('')).toBe('NOT_SERVING');
  });

  it('rejects with Unimplemented when the server has no health service', async () => {
    const client = await serve();
    await expect(client.checkHealth()).rejects.toMatchObject({ code: Code.Unimplemented });
  });
});

describe('streamTaskLogs', () => {
  it('sends the run, task, attempt and follow flag, and yields every batch', async () => {
    const requests: unknown[] = [];
    const client = await serve({
      streamTaskLogs: async function* (request) {
        requests.push({ ...request, $typeName: undefined });
        yield { attempt: 2, lines: [{ line: 'one' }, { line: 'two' }] };
        yield { attempt: 2, lines: [{ line: 'three' }], dropped: 4 };
      },
    });
    const lines: string[] = [];
    let dropped = 0;
    for await (const response of client.streamTaskLogs('r1', 'load[3]', { attempt: 2, follow: true })) {
      lines.push(...response.lines.map((line) => line.line));
      dropped += response.dropped;
    }
    expect(lines).toEqual(['one', 'two', 'three']);
    expect(dropped).toBe(4);
    expect(requests).toEqual([
      { runId: 'r1', taskId: 'load[3]', attempt: 2, follow: true, $typeName: undefined },
    ]);
    // Defaults: the latest attempt, no follow.
    for await (const _ of client.streamTaskLogs('r1', 'extract')) break;
    expect(requests[1]).toMatchObject({ attempt: 0, follow: false });
  });

  it('maps a stream error to a TributaryError', async () => {
    const client = await serve({
      streamTaskLogs: async function* () {
        yield* [];
        throw new TributaryError(Code.NotFound, "task 'nosuch' not found in run r1");
      },
    });
    const iterate = async () => {
      for await (const _ of client.streamTaskLogs('r1', 'nosuch')) expect.fail('no message expected');
    };
    await expect(iterate()).rejects.toMatchObject({
      code: Code.NotFound,
      message: "task 'nosuch' not found in run r1",
    });
  });

  it('stops on abort with Cancelled, ending the server stream', async () => {
    const serverStopped = deferred();
    const client = await serve({
      streamTaskLogs: async function* (_request, _call, signal) {
        try {
          yield { attempt: 1, lines: [{ line: 'first' }] };
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
        } finally {
          serverStopped.resolve();
        }
      },
    });
    const controller = new AbortController();
    const iterate = async () => {
      for await (const _ of client.streamTaskLogs('r1', 'extract', {
        follow: true,
        signal: controller.signal,
      })) {
        controller.abort();
      }
    };
    await expect(iterate()).rejects.toMatchObject({
      code: Code.Cancelled,
      message: "reading the logs of task 'extract' of run 'r1' was aborted",
    });
    await expect(within(serverStopped.promise)).resolves.toBeUndefined();
  });
});
