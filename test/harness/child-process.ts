import { type ChildProcess, spawn } from 'node:child_process';
import { basename } from 'node:path';
import { forgetPid, rememberPid } from './exit-cleanup.js';
import { afterStopAll, track, untrack } from './registry.js';

/** How a process ended: an exit code, or the signal that ended it. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned child process whose output is kept in memory. */
export interface ChildProcessHandle {
  readonly pid: number;
  /** How it ended; `undefined` while it runs. */
  readonly exitStatus: ExitStatus | undefined;
  /** A label for messages, e.g. `worker-a`. */
  readonly name: string;
  /** Everything it wrote to stdout and stderr so far, interleaved (only the last 4 MiB for chatty ones). */
  readonly output: () => string;
  /**
   * Resolves as soon as the output matches `re` (already printed counts).
   * @throws Error with the output's tail on timeout or when the process exits first.
   */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends `sig` if it still runs; does not wait. */
  signal(sig: NodeJS.Signals): void;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM, waits up to `timeoutMs` (@default 10_000), then SIGKILL. Returns the exit code (null when a signal ended it). */
  stop(timeoutMs?: number): Promise<number | null>;
  /** Resolves once it has exited and its output is complete. */
  readonly exited: Promise<ExitStatus>;
  /** Same as `stop()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options of {@link spawnProcess}. */
export interface SpawnProcessOptions {
  /** Variables added to (and overriding) this process's environment. @default {} */
  env?: Record<string, string>;
  /** @default process.cwd() */
  cwd?: string;
  /** Label used in messages. @default the command's base name and first argument */
  name?: string;
}

/** What the harness's own servers need beyond {@link SpawnProcessOptions}. */
export interface SpawnChildOptions extends SpawnProcessOptions {
  /** Run as this user (only when we are root). */
  uid?: number;
  gid?: number;
}

/** @see ChildProcessHandle.waitForOutput */
export const DEFAULT_OUTPUT_TIMEOUT_MS = 10_000;
/** @see ChildProcessHandle.stop */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const MAX_OUTPUT_CHARS = 4 * 1024 * 1024;
const TAIL_CHARS = 4000;
// A grandchild can hold stdout open after the child exits; do not wait for 'close' longer than this.
const CLOSE_GRACE_MS = 200;

const spawned = new Set<ProcessHandle>();
afterStopAll(forgetSpawned);

/** Every process spawned since the last {@link forgetSpawned}, for printing output when a test fails. */
export function spawnedProcesses(): readonly ChildProcessHandle[] {
  return [...spawned];
}

/** Forgets processes that have exited (called by `stopAll`). */
export function forgetSpawned(): void {
  for (const handle of spawned) if (handle.exitStatus !== undefined) spawned.delete(handle);
}

/** The last part of a process's output, for error messages. */
export function outputTail(handle: ChildProcessHandle): string {
  const text = handle.output();
  return text.length > TAIL_CHARS ? `[...]${text.slice(-TAIL_CHARS)}` : text;
}

/** Resolves with the promise's value, or with `undefined` after `ms`; leaves no timer behind. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describeExit(status: ExitStatus): string {
  return status.signal !== null ? `killed by ${status.signal}` : `exit code ${status.code}`;
}

class ProcessHandle implements ChildProcessHandle {
  readonly pid: number;
  readonly name: string;
  readonly exited: Promise<ExitStatus>;
  #exitStatus: ExitStatus | undefined;
  #text = '';
  readonly #child: ChildProcess;
  readonly #listeners = new Set<() => void>();

  constructor(child: ChildProcess, pid: number, name: string) {
    this.#child = child;
    this.pid = pid;
    this.name = name;
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => this.#append(chunk));
    }
    child.on('error', (error) => this.#append(`[harness] ${name}: ${error.message}\n`));
    this.exited = new Promise((resolve) => {
      let status: ExitStatus | undefined;
      const finish = (): void => {
        if (this.#exitStatus !== undefined || status === undefined) return;
        this.#exitStatus = status;
        forgetPid(pid);
        resolve(status);
        this.#notify();
      };
      child.once('exit', (code, signal) => {
        status = { code, signal };
        setTimeout(finish, CLOSE_GRACE_MS);
      });
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        status ??= { code, signal };
        finish();
      });
    });
  }

  get exitStatus(): ExitStatus | undefined {
    return this.#exitStatus;
  }

  output = (): string => this.#text;

  #append(chunk: string): void {
    this.#text += chunk;
    if (this.#text.length > MAX_OUTPUT_CHARS) this.#text = this.#text.slice(-MAX_OUTPUT_CHARS);
    this.#notify();
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }

  waitForOutput(re: RegExp, timeoutMs = DEFAULT_OUTPUT_TIMEOUT_MS): Promise<void> {
    // A global or sticky regex keeps lastIndex between test() calls; a plain copy does not.
    const pattern = new RegExp(re.source, re.flags.replace(/[gy]/g, ''));
    return new Promise((resolve, reject) => {
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
        if (error === undefined) resolve();
        else reject(error);
      };
      const check = (): void => {
        if (pattern.test(this.#text)) finish();
        else if (this.exitStatus !== undefined) {
          finish(this.#error(`exited (${describeExit(this.exitStatus)}) before printing ${re}`));
        }
      };
      const timer = setTimeout(
        () => finish(this.#error(`did not print ${re} within ${timeoutMs}ms`)),
        timeoutMs,
      );
      this.#listeners.add(check);
      check();
    });
  }

  #error(what: string): Error {
    return new Error(`${this.name} (pid ${this.pid}) ${what}. Its output:\n${outputTail(this)}`);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exitStatus === undefined) this.#child.kill(sig);
  }

  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  async stop(timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<number | null> {
    this.signal('SIGTERM');
    const status = await within(this.exited, timeoutMs);
    if (status !== undefined) return status.code;
    await this.kill();
    return (await this.exited).code;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/**
 * Spawns a process for the harness's own use (servers): output captured, killed at exit, but not in the
 * `stopAll` registry, since the server that owns it stops it.
 * @throws Error when the command cannot be started (missing or not executable).
 */
export function spawnChild(
  command: string,
  args: readonly string[],
  options: SpawnChildOptions = {},
): ChildProcessHandle {
  const name = options.name ?? [basename(command), ...args.slice(0, 1)].join(' ');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  if (child.pid === undefined) {
    // Node reports the reason on a later 'error' event; this listener keeps it from crashing the process.
    child.on('error', () => {});
    throw new Error(`Could not start ${name}: is '${command}' installed and executable?`);
  }
  rememberPid(child.pid);
  const handle = new ProcessHandle(child, child.pid, name);
  spawned.add(handle);
  return handle;
}

/**
 * Spawns a child process (e.g. `node packages/cli/dist/main.js worker ...`) with captured output. It is
 * registered for `stopAll()` until it exits, and its output is printed when a test fails.
 * @throws Error when the command cannot be started.
 */
export function spawnProcess(
  command: string,
  args: string[],
  options: SpawnProcessOptions = {},
): ChildProcessHandle {
  const handle = spawnChild(command, args, options);
  track(handle, handle.name, async () => {
    await handle.stop();
  });
  void handle.exited.then(() => untrack(handle)); // never rejects
  return handle;
}
