import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetDir, rememberDir } from './exit-cleanup.js';

/** Every directory the harness creates starts with this, so leftovers are easy to find. */
export const TEMP_DIR_PREFIX = 'tributary-test-';

/**
 * Creates an empty directory `<os.tmpdir()>/tributary-test-<label>-XXXXXX` (mode 0700) and returns its real
 * path: Postgres compares paths, and macOS's tmpdir is a symlink.
 */
export async function makeTempDir(label: string): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), `${TEMP_DIR_PREFIX}${label}-`)));
  rememberDir(dir);
  return dir;
}

/** Removes a directory made by {@link makeTempDir}, with everything in it. */
export async function removeTempDir(dir: string): Promise<void> {
  // Retries cover a server that is still closing files as it exits.
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  forgetDir(dir);
}
