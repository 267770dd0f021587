import { execFileSync } from 'node:child_process';

/** The user a server process runs as. */
export interface ServerUser {
  readonly uid: number;
  readonly gid: number;
}

let cached: ServerUser | null | undefined;

/**
 * The `postgres` OS user when this process runs as root, because initdb and postgres refuse to run as root;
 * `undefined` otherwise (run them as ourselves).
 * @throws Error when running as root and there is no `postgres` user.
 */
export function postgresUser(): ServerUser | undefined {
  if (cached === undefined) cached = process.getuid?.() === 0 ? lookUp('postgres') : null;
  return cached ?? undefined;
}

function lookUp(name: string): ServerUser {
  try {
    const id = (flag: string): number =>
      Number(
        execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
      );
    return { uid: id('-u'), gid: id('-g') };
  } catch (error) {
    throw new Error(
      `Running as root, Postgres must run as the '${name}' user, which does not exist. ` +
        'Install the server (`apt-get install postgresql` creates it) or run the tests as a non-root user.',
      { cause: error },
    );
  }
}
