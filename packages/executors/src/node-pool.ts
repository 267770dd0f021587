import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { NodeThreadResult, NodeThreadTask } from './node-protocol.js';

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

/** A pool whose threads start on demand and run one task at a time. */
export function createNodePool(maxThreads: number): NodePool {
  return new Piscina<NodeThreadTask, NodeThreadResult>({
    filename: nodeThreadFile(),
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
