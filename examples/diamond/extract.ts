import type { NodeTaskContext } from '@tributary/executors';

export function run(ctx: NodeTaskContext): { numbers: number[] } {
  const n = Number(ctx.params.n);
  return { numbers: Array.from({ length: n }, (_, index) => index + 1) };
}
