import type { NodeTaskContext } from '@tributary/executors';

/** A list whose length the run's params decide: the fan-out below follows it. */
export function run(ctx: NodeTaskContext): { files: { name: string; lines: number }[] } {
  const count = Number(ctx.params.count);
  return { files: Array.from({ length: count }, (_, i) => ({ name: `part-${i}.csv`, lines: (i + 1) * 10 })) };
}
