// A fake TributaryService on a free port for the client commands' tests: real gRPC, no coordinator.
import * as grpc from '@grpc/grpc-js';
import { Code, TributaryError } from '@tributary/core';
import {
  grpcHandlers,
  grpcServiceDefinition,
  type ServiceImplementation,
  TributaryService,
} from '@tributary/proto';
import { onTestFinished } from 'vitest';
import { type CliResult, runCliInProcess } from './run-cli.test-util.js';

/** Every method of the service, as a test's fake overrides them. */
export type FakeService = ServiceImplementation<typeof TributaryService>;

const unimplemented = () => {
  throw new TributaryError(Code.Unimplemented, 'not part of this fake');
};

/**
 * Serves `overrides` (every other method answers `Unimplemented`) on a free port until the current
 * test finishes, and returns its `host:port`.
 */
export async function serveFake(overrides: Partial<FakeService>): Promise<string> {
  const impl: FakeService = {
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
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  onTestFinished(() => server.forceShutdown());
  return `127.0.0.1:${port}`;
}

/** Runs `tributary --server <server> <args>` in this process. */
export function cliAgainst(server: string, ...args: string[]): Promise<CliResult> {
  return runCliInProcess(['--server', server, ...args]);
}
