import { execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

// Where Debian and Ubuntu put the server binaries: /usr/lib/postgresql/<major>/bin. pg_config and PATH
// cover other layouts (Homebrew, source builds).
const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';
const NATS_FALLBACKS = ['/usr/sbin/nats-server', '/usr/local/bin/nats-server'];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function newestDebianBinDir(): string | undefined {
  let majors: string[];
  try {
    majors = readdirSync(DEBIAN_POSTGRES_ROOT);
  } catch {
    return undefined;
  }
  // Numeric sort so that 16 beats 9.6.
  const sorted = majors.filter((m) => /^\d+(\.\d+)?$/.test(m)).sort((a, b) => Number(b) - Number(a));
  return sorted.map((m) => join(DEBIAN_POSTGRES_ROOT, m, 'bin')).find((dir) => hasServerBinaries(dir));
}

function hasServerBinaries(dir: string): boolean {
  return isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'postgres'));
}

function pgConfigBinDir(): string | undefined {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return hasServerBinaries(dir.trim()) ? dir.trim() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The directory holding `initdb` and `postgres`: the newest `/usr/lib/postgresql/<major>/bin`, else
 * `pg_config --bindir`, else the directory of `initdb` on PATH.
 * @throws Error naming the package to install when no server binaries are found; tests never skip.
 */
export function findPostgresBinDir(): string {
  const found = newestDebianBinDir() ?? pgConfigBinDir();
  if (found !== undefined) return found;
  const initdb = onPath('initdb');
  if (initdb !== undefined && hasServerBinaries(join(initdb, '..'))) return join(initdb, '..');
  throw new Error(
    'PostgreSQL server binaries (initdb, postgres) were not found in /usr/lib/postgresql/*/bin, ' +
      '`pg_config --bindir` or PATH. Install them: `apt-get install postgresql` (Debian/Ubuntu).',
  );
}

/**
 * The path of `nats-server`: from PATH, else `/usr/sbin` or `/usr/local/bin`.
 * @throws Error naming the package to install when it is missing; tests never skip.
 */
export function findNatsServer(): string {
  const found = onPath('nats-server') ?? NATS_FALLBACKS.find(isExecutable);
  if (found !== undefined) return found;
  throw new Error(
    'nats-server was not found on PATH, in /usr/sbin or /usr/local/bin. ' +
      'Install it: `apt-get install nats-server` (Debian/Ubuntu).',
  );
}
