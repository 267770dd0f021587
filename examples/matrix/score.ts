import type { NodeTaskContext } from '@tributary/executors';

/** Each instance sees its own values in `ctx.matrix` and its place in `ctx.matrixIndex`. */
export function run(ctx: NodeTaskContext): { weight: number; index: number | undefined; score: number } {
  const weight = Number(ctx.matrix.weight);
  return { weight, index: ctx.matrixIndex, score: weight * 3 };
}
