import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { Code, TributaryError } from '@tributary/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  GetRunResponseSchema,
  type RegisterDagResponse,
  TributaryService,
  WatchRunRequestSchema,
  type WatchRunResponse,
  WatchRunResponseSchema,
} from './gen/tributary/v1/service_pb.js';
import { ErrorDetailsSchema } from './gen/tributary/v1/types_pb.js';
import { grpcHandlers, grpcServiceDefinition, type ServiceImplementation } from './grpc-service.js';
import { ERROR_DETAILS_METADATA_KEY } from './grpc-status.js';

type Impl = ServiceImplementation<typeof TributaryService>;

const unimplemented = () => {
  throw new TributaryError(Code.Unimplemented, 'not part of this fake');
};

/** A fake service; each test overrides the methods it exercises. */
function fakeService(overrides: Partial<Impl>): Impl {
  return {
    registerDag: unimplemented,
    listDags: unimplemented,
    triggerRun: unimplemented,
    getRun: unimplemented,
    listRuns: unimplemented,
    watchRun: () => ({
      [Symbol.asyncIterator]: unimplemented,
    }),
    cancelRun: unimplemented,
    clearTasks: unimplemented,
    listWorkers: unimplemented,
    streamTaskLogs: () => ({ [Symbol.asyncIterator]: unimplemented }),
    setDagPaused: unimplemented,
    backfill: unimplemented,
    listRejectedEvents: unimplemented,
    ...overrides,
  };
}

const servers: grpc.Server[] = [];
const clients: grpc.Client[] = [];

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) server.forceShutdown();
});

type RawClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

async function serve(
  impl: Impl,
  onInternalError?: (error: unknown, method: string) => void,
): Promise<RawClient> {
  const server = new grpc.Server();
  servers.push(server);
  server.addService(
    grpcServiceDefinition(TributaryService),
    grpcHandlers(TributaryService, impl, onInternalError === undefined ? {} : { onInternalError }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  const Client = grpc.makeGenericClientConstructor(
    grpcServiceDefinition(TributaryService),
    'TributaryService',
  );
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as RawClient;
  clients.push(client);
  return client;
}

function callUnary<T>(client: RawClient, method: string, request: object): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method]?.(request, (error: grpc.ServiceError | null, response: T) =>
      error ? reject(error) : resolve(response),
    );
  });
}

function watch(client: RawClient, runId: string): grpc.ClientReadableStream<WatchRunResponse> {
  return client.makeServerStreamRequest(
    '/tributary.v1.TributaryService/WatchRun',
    (request: object) => Buffer.from(toBinary(WatchRunRequestSchema, create(WatchRunRequestSchema, request))),
    (bytes: Buffer) => fromBinary(WatchRunResponseSchema, bytes),
    { runId },
  );
}

function settled<T>(promise: Promise<T>, ms = 2000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not settled after ${ms}ms`)), ms)),
  ]);
}

describe('grpcServiceDefinition', () => {
  it('names each method by its full gRPC path', () => {
    const definition = grpcServiceDefinition(TributaryService);
    expect(definition.registerDag?.path).toBe('/tributary.v1.TributaryService/RegisterDag');
    expect(definition.watchRun?.responseStream).toBe(true);
    expect(definition.getRun?.responseStream).toBe(false);
  });
});

describe('grpcHandlers', () => {
  it('answers a unary call with the init object the implementation returns', async () => {
    const client = await serve(
      fakeService({
        registerDag: async (request) => ({
          version: { dag: request.bundle?.files[0]?.path ?? '', version: 3 },
          created: true,
        }),
      }),
    );
    const response = await callUnary<RegisterDagResponse>(client, 'registerDag', {
      bundle: { files: [{ path: 'dag.yaml', content: new Uint8Array([1]), mode: 0o644 }] },
    });
    expect(response.version?.dag).toBe('dag.yaml');
    expect(response.version?.version).toBe(3);
    expect(response.created).toBe(true);
  });

  it('answers a unary call with a message the implementation created', async () => {
    const client = await serve(
      fakeService({
        getRun: async (request) => create(GetRunResponseSchema, { run: { id: request.runId } }),
      }),
    );
    const response = await callUnary<{ run?: { id: string } }>(client, 'getRun', { runId: 'r1' });
    expect(response.run?.id).toBe('r1');
  });

  it('sends a TributaryError with its code, message and problems as binary details', async () => {
    const client = await serve(
      fakeService({
        getRun: async (request) => {
          throw new TributaryError(Code.NotFound, `run '${request.runId}' not found`, {
            problems: [{ message: 'no such run', field: 'run_id' }],
          });
        },
      }),
    );
    const error = await callUnary(client, 'getRun', { runId: 'gone' }).catch((e: grpc.ServiceError) => e);
    expect(error).toMatchObject({ code: grpc.status.NOT_FOUND, details: "run 'gone' not found" });
    const bytes = (error as grpc.ServiceError).metadata.get(ERROR_DETAILS_METADATA_KEY)[0] as Buffer;
    expect(fromBinary(ErrorDetailsSchema, bytes).problems.map((p) => [p.message, p.field])).toEqual([
      ['no such run', 'run_id'],
    ]);
  });

  it('turns any other error into INTERNAL and reports it to onInternalError', async () => {
    const reported: [unknown, string][] = [];
    const bug = new Error('database exploded');
    const client = await serve(
      fakeService({
        listDags: async () => {
          throw bug;
        },
      }),
      (error, method) => reported.push([error, method]),
    );
    const error = await callUnary(client, 'listDags', {}).catch((e: grpc.ServiceError) => e);
    expect(error).toMatchObject({ code: grpc.status.INTERNAL, details: 'database exploded' });
    expect(reported).toEqual([[bug, 'listDags']]);
  });

  it('streams every message of a server-streaming call, then ends it', async () => {
    const client = await serve(
      fakeService({
        watchRun: async function* (request) {
          yield { event: { case: 'snapshot', value: { id: request.runId } } };
          yield { event: { case: 'task', value: { taskId: 'extract', attempt: 1 } } };
          yield { event: { case: 'finished', value: { id: request.runId } } };
        },
      }),
    );
    const received: WatchRunResponse[] = [];
    for await (const message of watch(client, 'r7')) {
      received.push(message);
    }
    expect(received.map((m) => m.event.case)).toEqual(['snapshot', 'task', 'finished']);
    expect(received[1]?.event.value).toMatchObject({ taskId: 'extract', attempt: 1 });
  });

  it('ends a stream with the status of an error thrown mid-stream', async () => {
    const client = await serve(
      fakeService({
        watchRun: async function* (request) {
          yield { event: { case: 'snapshot', value: { id: request.runId } } };
          throw new TributaryError(Code.FailedPrecondition, 'run was purged');
        },
      }),
    );
    const received: WatchRunResponse[] = [];
    const stream = watch(client, 'r');
    const error = await (async () => {
      for await (const message of stream) received.push(message);
    })().catch((e: grpc.ServiceError) => e);
    expect(received).toHaveLength(1);
    expect(error).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, details: 'run was purged' });
  });

  it('stops pulling from the iterable while the client is not reading (backpressure)', async () => {
    const total = 300;
    const payload = 'x'.repeat(64 * 1024);
    let produced = 0;
    const client = await serve(
      fakeService({
        watchRun: async function* () {
          for (; produced < total; produced++) yield { event: { case: 'task', value: { taskId: payload } } };
        },
      }),
    );
    const stream = watch(client, 'r');
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Far fewer than all 300 (19 MiB) were pulled while nobody read: flow control reached the generator.
    expect(produced).toBeLessThan(total / 2);
    let count = 1;
    while (!(await iterator.next()).done) count++;
    expect(count).toBe(total);
  });

  it('calls return() on the iterator when the client cancels, running its finally block', async () => {
    let finished!: () => void;
    const finallyRan = new Promise<void>((resolve) => {
      finished = resolve;
    });
    const client = await serve(
      fakeService({
        watchRun: async function* () {
          try {
            for (let i = 0; ; i++) {
              yield { event: { case: 'task', value: { taskId: `t${i}` } } };
              await new Promise((resolve) => setTimeout(resolve, 5));
            }
          } finally {
            finished();
          }
        },
      }),
    );
    const stream = watch(client, 'r');
    stream.on('error', () => {}); // The CANCELLED status is expected.
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.cancel();
    await expect(settled(finallyRan)).resolves.toBeUndefined();
  });

  it('aborts the signal given to a streaming implementation when the client cancels', async () => {
    let aborted!: () => void;
    const abortSeen = new Promise<void>((resolve) => {
      aborted = resolve;
    });
    const client = await serve(
      fakeService({
        watchRun: async function* (request, _call, signal) {
          yield { event: { case: 'snapshot', value: { id: request.runId } } };
          // Waits on something that is not a yield: only the signal can end this.
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
          aborted();
        },
      }),
    );
    const stream = watch(client, 'r');
    stream.on('error', () => {});
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.cancel();
    await expect(settled(abortSeen)).resolves.toBeUndefined();
  });
});
