import type { NodeTaskContext } from '@tributary/sdk';

// Not an output: the key is there for any task of the run, not only the direct downstream ones.
export async function run(ctx: NodeTaskContext): Promise<void> {
  await ctx.context.set('rows', 42);
}
