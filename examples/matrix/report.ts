import type { NodeTaskContext } from '@tributary/executors';

/** Instance outputs arrive by instance id: `ctx.inputs['load[0]']`, `ctx.inputs['score[1]']`. */
export function run(ctx: NodeTaskContext): { labels: string[]; totalScore: number } {
  const ids = Object.keys(ctx.inputs).sort();
  const labels = ids
    .filter((id) => id.startsWith('load['))
    .map((id) => (ctx.inputs[id] as { label: string }).label);
  const totalScore = ids
    .filter((id) => id.startsWith('score['))
    .reduce((sum, id) => sum + (ctx.inputs[id] as { score: number }).score, 0);
  ctx.log(`read ${ids.join(', ')}`);
  return { labels, totalScore };
}
