import type { NodeTaskContext } from '@tributary/executors';

export function run(ctx: NodeTaskContext): { doubled: number[] } {
  const { numbers } = ctx.inputs.extract as { numbers: number[] };
  return { doubled: numbers.map((number) => number * 2) };
}
