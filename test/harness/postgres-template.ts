import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chown, rename, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { outputTail, spawnChild } from './child-process.js';
import type { ServerUser } from './server-user.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

const run = promisify(execFile);

// initdb takes seconds; copying its result takes milliseconds. Vitest runs each test file in a fresh
// process, so a per-process cache would not help: the template is kept on disk, keyed by the server
// build and the user, and shared by every test file and run on this machine.
const TEMPLATE_PREFIX = 'tributary-cache-postgres-';

let cached: Promise<string> | undefined;

/**
 * A freshly initdb'd data directory (trust auth, superuser `postgres`, UTF8, C locale), built once per
 * machine and server version. Never start a server in it: copy it with {@link copyTemplate}.
 */
export function postgresTemplate(binDir: string, user: ServerUser | undefined): Promise<string> {
  cached ??= findOrBuild(binDir, user);
  // A failed build must not poison later attempts in this process.
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}

async function findOrBuild(binDir: string, user: ServerUser | undefined): Promise<string> {
  const { stdout: version } = await run(join(binDir, 'postgres'), ['--version']);
  const key = createHash('sha256')
    .update(`${binDir}\n${version}\n${process.getuid?.() ?? ''}`)
    .digest('hex')
    .slice(0, 12);
  const template = join(tmpdir(), `${TEMPLATE_PREFIX}${key}`);
  if (await exists(join(template, 'PG_VERSION'))) return template;

  const building = await makeTempDir('initdb');
  try {
    if (user !== undefined) await chown(building, user.uid, user.gid);
    const initdb = spawnChild(
      join(binDir, 'initdb'),
      ['-D', building, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { name: 'initdb', cwd: building, env: { LC_ALL: 'C' }, ...user },
    );
    const status = await initdb.exited;
    if (status.code !== 0)
      throw new Error(`initdb failed (exit code ${status.code}):\n${outputTail(initdb)}`);
    // rename is atomic: another test process either sees no template or a complete one. If one won the
    // race, its template is as good as ours.
    await rename(building, template).catch(async (error: unknown) => {
      if (!(await exists(join(template, 'PG_VERSION')))) throw error;
    });
  } finally {
    await removeTempDir(building);
  }
  return template;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Copies the template into `dataDir` (an empty directory), keeping owners and modes, so that the copy
 * belongs to `user`.
 */
export async function copyTemplate(
  template: string,
  dataDir: string,
  user: ServerUser | undefined,
): Promise<void> {
  await run('cp', ['-a', `${template}/.`, dataDir]);
  if (user !== undefined) await chown(dataDir, user.uid, user.gid);
}
