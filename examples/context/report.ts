import type { JsonValue, NodeTaskContext } from '@tributary/sdk';

export async function run(ctx: NodeTaskContext): Promise<JsonValue> {
  const rows = await ctx.context.get('rows');
  ctx.log.info('the run counted %s rows', rows);
  return rows ?? null;
}
