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

export type NodePool = Piscina<NodeThreadTask, NodeThreadResult>;

/**
 * A pool whose threads start on demand and run one task at a time. Each thread's `process.env` is a
 * copy of `baseEnv` without the process's connection URLs and secrets (`TRIBUTARY_CONNECTION_*`,
 * `TRIBUTARY_SECRET_*`): a task gets the secrets it names in `ctx.secrets`, and a library that prints
 * its environment cannot print the others. (Threads share the process, so this keeps honest code
 * honest; it does not stand between a hostile task and the worker's memory.)
 */
export function createNodePool(
  maxThreads: number,
  baseEnv: Readonly<Record<string, string | undefined>>,
): NodePool {
  return new Piscina<NodeThreadTask, NodeThreadResult>({
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
  });
}
