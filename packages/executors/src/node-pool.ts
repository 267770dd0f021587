import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { NodeThreadResult, NodeThreadTask } from './node-protocol.js';
import { withoutProcessCredentials } from './secrets.js';

/** How long an idle pool thread lives (keeping its loaded modules) before piscina stops it. */
const IDLE_THREAD_MS = 60_000;

/**
 * The compiled worker file. From `dist/` it is the sibling `node-thread.js`. When this file runs as
 * TypeScript source (vitest), a worker thread cannot load `node-thread.ts`, so the built copy in
 * `../dist/` is used: tests of this package build it first (test-fixtures/ensure-built.ts).
 */
export function nodeThreadFile(moduleUrl: string = import.meta.url): string {
  const fromSource = new URL(moduleUrl).pathname.endsWith('.ts');
  return fileURLToPath(new URL(fromSource ? '../dist/node-thread.js' : './node-thread.js', moduleUrl));
}

/** A task handed to {@link NodePool.run}, and how to end it wherever it is. */
export interface PoolRun {
  /** Rejects when the task was dropped or its thread ended before it returned. */
  readonly result: Promise<NodeThreadResult>;
  /** Records the thread running the task (its `started` message names it), so that `kill` can end it. */
  started(threadId: number): void;
  /**
   * Ends the task at once: drops it while it waits for a thread, terminates its thread (busy loops
   * included) once one runs it. Between the two, as soon as its thread says that it started.
   */
  kill(): void;
}

/** Node task threads: at most `maxThreads`, one task each; tasks wait in order while all are busy. */
export interface NodePool {
  run(task: NodeThreadTask): PoolRun;
  /** Receives what threads post on `parentPort` (their ports: see node-thread-ports.ts). */
  onThreadMessage(listener: (message: unknown) => void): void;
  /** Ends every thread; tasks still waiting or running reject. */
  destroy(): Promise<void>;
}

/**
 * A pool whose threads start on demand and run one task at a time. Each thread's `process.env` is a
 * copy of `baseEnv` without the process's connection URLs and secrets (`TRIBUTARY_CONNECTION_*`,
 * `TRIBUTARY_SECRET_*`): a task gets the secrets it names in `ctx.secrets`, and a library that prints
 * its environment cannot print the others. (Threads share the process, so this keeps honest code
 * honest; it does not stand between a hostile task and the worker's memory.)
 *
 * Tasks wait here rather than in piscina's queue, and reach piscina only when a thread is free: piscina
 * then needs no abort signal to drop a waiting task, and a task with a signal costs piscina a scan of
 * every thread on each dispatch (an abortable task cannot share a thread). Only a task that must wait
 * for a new thread to start gets a signal, since it waits in piscina's queue meanwhile.
 */
export function createNodePool(
  maxThreads: number,
  baseEnv: Readonly<Record<string, string | undefined>>,
): NodePool {
  const piscina = new Piscina<NodeThreadTask, NodeThreadResult>({
    filename: nodeThreadFile(),
    env: withoutProcessCredentials(baseEnv),
    minThreads: 0,
    maxThreads,
    idleTimeout: IDLE_THREAD_MS,
    // One task per thread is what makes per-task console capture and kill-by-terminate safe.
    concurrentTasksPerWorker: 1,
    // 'sync' freezes a thread's event loop between tasks; task code may leave timers or sockets behind,
    // and the abort messages of the next task must be handled while it runs. Plain messages cost little
    // next to a task.
    atomics: 'disabled',
    // Nothing reads the pool's run and wait time histograms; recording them costs every task.
    recordTiming: false,
  });
  // Threads that have started and not ended: a task handed to piscina while fewer tasks than these run
  // goes to an idle one at once.
  const readyThreads = new Set<number>();
  piscina.on('workerCreate', (worker: { id: number }) => readyThreads.add(worker.id));
  piscina.on('workerDestroy', (worker: { id: number }) => readyThreads.delete(worker.id));
  const waiting = new TaskQueue<PooledTask>();
  let running = 0;

  const start = (pooled: PooledTask): Promise<NodeThreadResult> => {
    running++;
    if (running <= readyThreads.size) return piscina.run(pooled.task);
    const abort = new EventEmitter();
    pooled.abort = abort;
    // Piscina takes any EventEmitter that emits 'abort' as a task's signal.
    return piscina.run(pooled.task, { signal: abort });
  };
  const next = (): void => {
    running--;
    for (let pooled = waiting.shift(); pooled !== undefined; pooled = waiting.shift()) {
      if (pooled.dropped) continue;
      pooled.handOver(start(pooled));
      return;
    }
  };
  const terminate = (threadId: number): void => terminateThread(piscina, threadId);
  return {
    run(task) {
      const free = running < maxThreads;
      const pooled = new PooledTask(task, free ? start : undefined, next, terminate);
      if (!free) waiting.push(pooled);
      return pooled;
    },
    onThreadMessage(listener) {
      piscina.on('message', listener);
    },
    async destroy() {
      for (let pooled = waiting.shift(); pooled !== undefined; pooled = waiting.shift()) pooled.kill();
      await piscina.destroy();
    },
  };
}

function terminateThread(piscina: Piscina, threadId: number): void {
  // Piscina notices the thread's exit, rejects its task and replaces it when work comes.
  void piscina.threads.find((thread) => thread.threadId === threadId)?.terminate();
}

/** One task's way through the pool: waiting, handed to piscina, then running on a known thread. */
class PooledTask implements PoolRun {
  readonly task: NodeThreadTask;
  readonly result: Promise<NodeThreadResult>;
  /** Set once it waits no more: it will never be handed to a thread. */
  dropped = false;
  /** The signal piscina was given, when the task had to wait in piscina's queue for a new thread. */
  abort: EventEmitter | undefined;
  readonly #terminate: (threadId: number) => void;
  #handedOver = false;
  #threadId: number | undefined;
  #killOnStart = false;
  readonly #onSettled: () => void;
  #resolve: (result: Promise<NodeThreadResult>) => void = () => undefined;
  #reject: (error: Error) => void = () => undefined;

  /**
   * `run`: piscina's run when a thread takes the task at once, else undefined until `handOver`.
   * `onSettled`: called once the task's thread returned or failed (not when dropped while waiting).
   */
  constructor(
    task: NodeThreadTask,
    run: ((task: PooledTask) => Promise<NodeThreadResult>) | undefined,
    onSettled: () => void,
    terminate: (threadId: number) => void,
  ) {
    this.task = task;
    this.#terminate = terminate;
    this.#onSettled = onSettled;
    if (run !== undefined) {
      this.#handedOver = true;
      this.result = this.#follow(run(this));
    } else {
      this.result = new Promise<NodeThreadResult>((resolve, reject) => {
        this.#resolve = resolve;
        this.#reject = reject;
      });
    }
  }

  /** Hands a waiting task to piscina. */
  handOver(run: Promise<NodeThreadResult>): void {
    this.#handedOver = true;
    this.#resolve(this.#follow(run));
  }

  #follow(run: Promise<NodeThreadResult>): Promise<NodeThreadResult> {
    return run.then(
      (result) => {
        this.#onSettled();
        return result;
      },
      (error: unknown) => {
        this.#onSettled();
        throw error;
      },
    );
  }

  started(threadId: number): void {
    this.#threadId = threadId;
    if (this.#killOnStart) this.#terminate(threadId);
  }

  kill(): void {
    if (!this.#handedOver) {
      if (this.dropped) return;
      this.dropped = true;
      this.#reject(new Error(`task '${this.task.taskId}' was dropped before a thread ran it`));
    } else if (this.abort !== undefined) this.abort.emit('abort');
    else if (this.#threadId !== undefined) this.#terminate(this.#threadId);
    // Handed to an idle thread that has not said so yet: its `started` message is on its way.
    else this.#killOnStart = true;
  }
}

/** A first-in first-out queue whose shift does not move the other items. */
class TaskQueue<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    // Reclaim the emptied front once it is at least half of the array.
    if (this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}
