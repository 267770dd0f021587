import type { NodeTaskContext } from '@tributary/executors';

interface Processed {
  name: string;
  lines: number;
}

/** A mapped task's outputs arrive as one list, in the instances' order. */
export function run(ctx: NodeTaskContext): { files: string[]; lines: number; bytes: number } {
  const processed = ctx.inputs.process as unknown as Processed[];
  const measured = ctx.inputs.measure as unknown as { bytes: number }[];
  return {
    files: processed.map((p) => p.name),
    lines: processed.reduce((sum, p) => sum + p.lines, 0),
    bytes: measured.reduce((sum, m) => sum + m.bytes, 0),
  };
}
