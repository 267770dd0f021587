import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './manifests.js';

// deploy/healthcheck.mjs is what the images' HEALTHCHECK runs: checked here against a real gRPC health
// service and a real HTTP server, answering well and badly.

const SCRIPT = join(REPO_ROOT, 'deploy', 'healthcheck.mjs');
const run = promisify(execFile);

/** Runs the script; resolves with its exit code and stderr instead of rejecting on a non-zero exit. */
async function healthcheck(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, [SCRIPT, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 20_000,
    });
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stderr: failed.stderr ?? '' };
  }
}

describe('the images health check', () => {
  let grpcServer: grpc.Server;
  let grpcPort: number;
  let health: HealthImplementation;
  let httpServer: Server;
  let httpPort: number;
  let metricsStatus = 200;

  beforeAll(async () => {
    grpcServer = new grpc.Server();
    health = new HealthImplementation({ '': 'SERVING' });
    health.addToServer(grpcServer);
    grpcPort = await new Promise<number>((resolve, reject) => {
      grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      );
    });
    httpServer = createServer((request, response) => {
      if (request.url === '/metrics') response.writeHead(metricsStatus).end('# metrics\n');
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    httpPort = (httpServer.address() as AddressInfo).port;
  });

  afterAll(async () => {
    grpcServer.forceShutdown();
    httpServer.closeAllConnections();
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  });

  it('passes while the coordinator reports SERVING, dialling loopback for an any-address listen setting', async () => {
    health.setStatus('', 'SERVING');
    expect(await healthcheck(['grpc'], { TRIBUTARY_LISTEN: `0.0.0.0:${grpcPort}` })).toEqual({
      code: 0,
      stderr: '',
    });
    expect((await healthcheck(['grpc', `127.0.0.1:${grpcPort}`])).code).toBe(0);
  });

  it('fails, saying so, while the coordinator reports NOT_SERVING (it is stopping)', async () => {
    health.setStatus('', 'NOT_SERVING');
    const result = await healthcheck(['grpc', `127.0.0.1:${grpcPort}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`unhealthy: gRPC health of 127.0.0.1:${grpcPort} is NOT_SERVING\n`);
    health.setStatus('', 'SERVING');
  });

  it('passes while the worker serves its metrics, and fails when they answer an error', async () => {
    metricsStatus = 200;
    expect(await healthcheck(['http'], { TRIBUTARY_METRICS_LISTEN: `0.0.0.0:${httpPort}` })).toEqual({
      code: 0,
      stderr: '',
    });
    metricsStatus = 500;
    const result = await healthcheck(['http', `127.0.0.1:${httpPort}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`unhealthy: GET http://127.0.0.1:${httpPort}/metrics answered 500\n`);
    metricsStatus = 200;
  });

  it('fails when nothing listens, or when metrics are off, naming the setting', async () => {
    const closed = new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    expect((await healthcheck(['http', `127.0.0.1:${await closed}`])).code).toBe(1);
    const off = await healthcheck(['http'], { TRIBUTARY_METRICS_LISTEN: 'off' });
    expect(off.code).toBe(1);
    expect(off.stderr).toContain('TRIBUTARY_METRICS_LISTEN is off');
  });

  it('refuses an unknown mode with its usage', async () => {
    const result = await healthcheck(['tcp']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('usage: healthcheck.mjs grpc|http');
  });
});
