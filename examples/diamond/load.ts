import type { NodeTaskContext } from '@tributary/executors';

export function run(ctx: NodeTaskContext): { doubled: number[]; sum: number } {
  const { doubled } = ctx.inputs.transform_a as { doubled: number[] };
  const { sum } = ctx.inputs.transform_b as { sum: number };
  ctx.log.info(`loading ${doubled.length} numbers, sum ${sum}`);
  return { doubled, sum };
}
