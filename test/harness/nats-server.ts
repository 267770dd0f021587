import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { findNatsServer } from './binaries.js';
import { type ChildProcessHandle, outputTail, spawnChild } from './child-process.js';
import { freePort } from './free-port.js';
import { track, untrack } from './registry.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

/** A throwaway nats-server with JetStream, its own port and store directory. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` of the monitoring endpoints (`/varz`, ...), when started with a monitor port. */
  readonly monitorUrl: string | undefined;
  /** The JetStream store (`-sd`); it survives stop/start. */
  readonly storeDir: string;
  /** SIGTERM (graceful shutdown) and waits. */
  stop(): Promise<void>;
  /** Starts again with the same port and store dir, so JetStream data survives; waits until JetStream answers. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** SIGKILL, like a crash. */
  kill(): Promise<void>;
  /** Stops it and removes its store directory. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options of {@link startNats}. */
export interface StartNatsOptions {
  /** @default a free port */
  port?: number;
  /** Serve the HTTP monitoring endpoints (`-m`) on this port, e.g. for the benchmark's `/varz` counts. @default none */
  monitorPort?: number;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
// Another process can take a free port between freePort() and bind(); retry with a new one.
const PORT_ATTEMPTS = 3;

class LocalNats implements NatsServer {
  readonly url: string;
  readonly monitorUrl: string | undefined;
  #process: ChildProcessHandle | undefined;

  constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly binary: string,
    private readonly monitorPort?: number,
  ) {
    this.url = `nats://127.0.0.1:${port}`;
    this.monitorUrl = monitorPort === undefined ? undefined : `http://127.0.0.1:${monitorPort}`;
  }

  async start(): Promise<void> {
    if (this.#process !== undefined && this.#process.exitStatus === undefined) return;
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir];
    if (this.monitorPort !== undefined) args.push('-m', String(this.monitorPort));
    // A fixed server name keeps log lines readable across restarts.
    const proc = spawnChild(this.binary, [...args, '-n', `tributary-test-${this.port}`], {
      name: `nats-server :${this.port}`,
    });
    this.#process = proc;
    try {
      await this.waitUntilReady(proc);
    } catch (error) {
      await proc.kill();
      throw error;
    }
  }

  private async waitUntilReady(proc: ChildProcessHandle): Promise<void> {
    const outcome = await waitFor(
      async () => {
        if (proc.exitStatus !== undefined) return 'exited';
        // Connecting proves the port accepts TCP; account info proves JetStream is up, not just core NATS.
        const nc = await connect({ servers: this.url, reconnect: false, timeout: 2000 });
        try {
          await (await jetstreamManager(nc)).getAccountInfo();
          return 'ready';
        } finally {
          await nc.close();
        }
      },
      {
        timeoutMs: START_TIMEOUT_MS,
        intervalMs: 50,
        description: `nats-server on port ${this.port} to start`,
      },
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}. Its output:\n${outputTail(proc)}`, { cause: error });
    });
    if (outcome === 'exited') {
      throw new Error(
        `nats-server on port ${this.port} exited while starting. Its output:\n${outputTail(proc)}`,
      );
    }
  }

  async stop(): Promise<void> {
    await this.#process?.stop(STOP_TIMEOUT_MS);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async kill(): Promise<void> {
    await this.#process?.kill();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    untrack(this);
    try {
      await this.stop();
    } finally {
      await removeTempDir(this.storeDir);
    }
  }
}

/**
 * Starts nats-server with JetStream on a new temp store dir and waits until the JetStream API answers.
 * It is registered for `stopAll()`.
 * @throws Error naming the package to install when nats-server is missing.
 */
export async function startNats(options: StartNatsOptions = {}): Promise<NatsServer> {
  const binary = findNatsServer();
  const storeDir = await makeTempDir('nats');
  try {
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      const server = new LocalNats(port, storeDir, binary, options.monitorPort);
      try {
        await server.start();
      } catch (error) {
        const portTaken = String(error).includes('address already in use');
        if (portTaken && options.port === undefined && attempt < PORT_ATTEMPTS) continue;
        throw error;
      }
      track(server, `nats-server :${server.port}`, () => server[Symbol.asyncDispose]());
      return server;
    }
  } catch (error) {
    await removeTempDir(storeDir);
    throw error;
  }
}
