import type { NodeTaskContext } from '@tributary/executors';

/** A branch returns the id (or ids) of the downstream tasks to follow. */
export function run(ctx: NodeTaskContext): string {
  return ctx.params.day === 'weekend' ? 'weekend_digest' : 'weekday_load';
}
