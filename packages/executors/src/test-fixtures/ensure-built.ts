// The node pool's worker file must be compiled JavaScript even when tests run from TypeScript source
// (see nodeThreadFile in node-pool.ts), so tests that start threads check that dist/ is current.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const srcDir = fileURLToPath(new URL('..', import.meta.url));
const distDir = fileURLToPath(new URL('../../dist', import.meta.url));

/**
 * Throws, saying how to fix it, when a source file is newer than its compiled copy. Deliberately no
 * build here: test files run in parallel and two concurrent `tsc -b` runs would write the same files.
 * `npm test` builds first.
 */
export function assertBuilt(): void {
  const stale = readdirSync(srcDir)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
    .filter((name) => {
      const built = join(distDir, name.replace(/\.ts$/, '.js'));
      return !existsSync(built) || statSync(built).mtimeMs < statSync(join(srcDir, name)).mtimeMs;
    });
  if (stale.length > 0) {
    throw new Error(
      `packages/executors/dist is out of date (${stale.join(', ')}): run \`npx tsc -b packages/executors\` first`,
    );
  }
}
