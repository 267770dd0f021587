import type { NodeTaskContext } from '@tributary/executors';

interface File {
  name: string;
  lines: number;
}

/** Each instance gets its own element in `ctx.mapItem` and its place in `ctx.mapIndex`. */
export function run(ctx: NodeTaskContext): { name: string; bytes: number; index: number | undefined } {
  const file = ctx.mapItem as unknown as File;
  return { name: file.name, bytes: file.lines * 80, index: ctx.mapIndex };
}
