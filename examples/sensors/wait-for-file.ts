import { access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeTaskContext } from '@tributary/executors';

/** A sensor returns false for "not yet"; anything else means its condition holds (and is its output). */
export async function run(ctx: NodeTaskContext): Promise<false | { path: string }> {
  const path = join(tmpdir(), `tributary-sensors-${ctx.runId}.ready`);
  try {
    await access(path);
    return { path };
  } catch {
    ctx.log(`waiting for ${path}`);
    return false;
  }
}
