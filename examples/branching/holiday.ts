import type { NodeTaskContext } from '@tributary/executors';

export function run(ctx: NodeTaskContext): never {
  // ctx.skip ends the task `skipped`; throwing SkipTask from @tributary/sdk does the same.
  ctx.skip('no holiday calendar configured');
}
