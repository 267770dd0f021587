/**
 * Where sql tasks' connection URLs come from. A DAG names a connection (`connection: warehouse`); the
 * process that runs the task (the worker, or `tributary run`) maps the name to a URL, so credentials
 * never enter the DAG, its bundle or the database.
 */
import { readSecretsFile } from './secrets-file.js';
import type { ConnectionResolver } from './types.js';

/** The prefix of the environment variables that hold connection URLs. */
export const CONNECTION_ENV_PREFIX = 'TRIBUTARY_CONNECTION_';

/** The variable that holds a connection's URL: `warehouse` is `TRIBUTARY_CONNECTION_WAREHOUSE`. */
export function connectionEnvName(name: string): string {
  return `${CONNECTION_ENV_PREFIX}${name.toUpperCase()}`;
}

/** Where {@link createConnectionResolver} looks connections up. */
export interface ConnectionResolverOptions {
  /**
   * The environment to read `TRIBUTARY_CONNECTION_<NAME>` from. Only a service's `main.ts` (or the CLI)
   * passes `process.env`; it is read at each lookup.
   * @default {}
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * A YAML or JSON file mapping names to URLs: `connections: { warehouse: "postgres://..." }` (its
   * `secrets:` are read by `createSecretResolver`). It is read once, when the resolver is created:
   * restart the process to pick up a change.
   * @default none
   */
  secretsFile?: string | undefined;
}

/**
 * A resolver of connection names to Postgres URLs, for `ExecutorOptions.connections`.
 *
 * Precedence: the environment variable `TRIBUTARY_CONNECTION_<NAME>` (the name upper-cased; an empty
 * value counts as unset) wins over the secrets file's `connections.<name>` (the name as written in the
 * DAG), so an operator can override one connection of a shared file for one process. A name found in
 * neither resolves to undefined, and the task's attempt fails with `ConnectionNotConfigured`.
 *
 * @throws TributaryError `InvalidArgument` when the secrets file cannot be read or is malformed. The
 * message names the file and the key, never a value: values are credentials.
 */
export function createConnectionResolver(options: ConnectionResolverOptions = {}): ConnectionResolver {
  const env = options.env ?? {};
  const fromFile =
    options.secretsFile === undefined
      ? new Map<string, string>()
      : readSecretsFile(options.secretsFile).connections;
  return (name) => {
    const fromEnv = env[connectionEnvName(name)];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    return fromFile.get(name);
  };
}

/** How to configure a connection, for the message of a task whose connection is missing. */
export function connectionHint(name: string): string {
  return (
    `set ${connectionEnvName(name)} to its Postgres URL where the task runs, or add it under ` +
    '`connections:` in the secrets file (--secrets-file or TRIBUTARY_SECRETS_FILE)'
  );
}

/**
 * The password of a connection URL, as written and percent-decoded, for masking; empty when it has
 * none. Read with a pattern rather than `new URL`, which refuses multi-host Postgres URLs
 * (`postgres://u:pw@h1,h2/db`).
 */
export function connectionPasswords(url: string): string[] {
  const userInfo = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)@/.exec(url)?.[1];
  const colon = userInfo?.indexOf(':') ?? -1;
  if (userInfo === undefined || colon < 0) return [];
  const written = userInfo.slice(colon + 1);
  if (written === '') return [];
  let decoded = written;
  try {
    decoded = decodeURIComponent(written);
  } catch {
    // A stray % in the password: the driver reads it as written.
  }
  return decoded === written ? [written] : [written, decoded];
}
