// Shared with the worker's tests (services/worker imports it): one helper, not a copy per package.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';

/** A nats-server with JetStream on a free port and a temp store dir, for one test file. */
export interface TestNatsServer {
  url: string;
  port: number;
  /** How many client connections the server has open (from its monitoring endpoint). */
  connections(): Promise<number>;
  /**
   * The connection count once it equals `expected` or 2s passed: the server drops a closed connection
   * from its count asynchronously.
   */
  connectionsSettled(expected: number): Promise<number>;
  stop(): Promise<void>;
}

const NATS_SERVER = existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server';

/**
 * A nats-server for the tests of the enclosing file or `describe`: started before them, stopped after
 * them, and checked then to have no client connection left (every bus a test opened was closed). Its
 * fields are read inside tests, once it has started.
 */
export function useNatsServer(): TestNatsServer {
  let server: TestNatsServer | undefined;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    const open = await server?.connectionsSettled(0);
    await server?.stop();
    expect(open).toBe(0);
  });
  const started = (): TestNatsServer => {
    if (server === undefined) throw new Error('the nats-server starts before the tests: use it inside them');
    return server;
  };
  return {
    get url() {
      return started().url;
    },
    get port() {
      return started().port;
    },
    connections: () => started().connections(),
    connectionsSettled: (expected) => started().connectionsSettled(expected),
    stop: () => started().stop(),
  };
}

/** Starts nats-server (with `extraArgs`, e.g. to require a password) and waits until it accepts connections. */
export async function startNatsServer(extraArgs: readonly string[] = []): Promise<TestNatsServer> {
  const port = await freePort();
  const monitorPort = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), 'tributary-nats-'));
  const child = spawn(
    NATS_SERVER,
    ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-js', '-sd', storeDir, ...extraArgs],
    {
      stdio: 'ignore',
    },
  );
  // If the test process ends without stop() (a failed hook, a killed run), take the server along.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      resolve();
    }),
  );
  try {
    await waitForPort(port, child);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    await rm(storeDir, { recursive: true, force: true });
    throw error;
  }
  const connections = async () => {
    const response = await fetch(`http://127.0.0.1:${monitorPort}/connz`);
    const body = (await response.json()) as { num_connections: number };
    return body.num_connections;
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    connections,
    async connectionsSettled(expected) {
      let count = await connections();
      for (let i = 0; i < 50 && count !== expected; i++) {
        await new Promise((resolve) => setTimeout(resolve, 40));
        count = await connections();
      }
      return count;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

/** A unique prefix per test, so tests sharing a server never see each other's streams. */
export function uniquePrefix(): string {
  return `t${Math.random().toString(36).slice(2, 10)}`;
}

/** Polls `check` every 20ms until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nats-server did not listen on port ${port} within 10s`);
}
