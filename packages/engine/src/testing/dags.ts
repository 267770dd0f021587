import type { PlanDag, PlanTask } from '../types.js';

/** Options of a test task. */
export interface TestTaskOptions {
  /** @default 0 */
  retries?: number;
  /** @default 1000 */
  retryDelayMs?: number;
}

/** A task for tests: `task('b', ['a'], { retries: 1 })`. */
export function task(id: string, needs: readonly string[] = [], options: TestTaskOptions = {}): PlanTask {
  return { id, needs, retries: options.retries ?? 0, retryDelayMs: options.retryDelayMs ?? 1000 };
}

/** A DAG of the given tasks. */
export function dagOf(...tasks: PlanTask[]): PlanDag {
  return { tasks };
}

/** `t0 -> t1 -> ... -> t(n-1)`. */
export function chainDag(n: number, options: TestTaskOptions = {}): PlanDag {
  return dagOf(...Array.from({ length: n }, (_, i) => task(`t${i}`, i === 0 ? [] : [`t${i - 1}`], options)));
}

/** `root -> t0 .. t(n-1) -> join`: one task fanning out to `n` and joining again. */
export function fanOutDag(n: number, options: TestTaskOptions = {}): PlanDag {
  const middle = Array.from({ length: n }, (_, i) => task(`t${i}`, ['root'], options));
  return dagOf(
    task('root', [], options),
    ...middle,
    task(
      'join',
      middle.map((t) => t.id),
      options,
    ),
  );
}

/** `a -> (b, c) -> d`. */
export function diamondDag(options: TestTaskOptions = {}): PlanDag {
  return dagOf(
    task('a', [], options),
    task('b', ['a'], options),
    task('c', ['a'], options),
    task('d', ['b', 'c'], options),
  );
}
