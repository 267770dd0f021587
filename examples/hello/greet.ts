import type { NodeTaskContext } from '@tributary/executors';

/** A node task: `run(ctx)` gets params and upstream outputs; what it returns is its output. */
export function run(ctx: NodeTaskContext): { message: string } {
  const { greeting } = ctx.inputs.say_hello as { greeting: string };
  const message = `${greeting}, ${String(ctx.params.name)}!`;
  ctx.log.info(message);
  return { message };
}
