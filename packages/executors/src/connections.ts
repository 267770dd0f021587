/**
 * Where sql tasks' connection URLs come from. A DAG names a connection (`connection: warehouse`); the
 * process that runs the task (the worker, or `tributary run`) maps the name to a URL, so credentials
 * never enter the DAG, its bundle or the database.
 */
import { readFileSync } from 'node:fs';
import { Code, TributaryError } from '@tributary/core';
import { CONNECTION_NAME_PATTERN } from '@tributary/spec';
import { isMap, isScalar, parseDocument } from 'yaml';
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
   * A YAML or JSON file mapping names to URLs: `connections: { warehouse: "postgres://..." }`. It is
   * read once, when the resolver is created: restart the process to pick up a change.
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
    options.secretsFile === undefined ? new Map<string, string>() : readSecretsFile(options.secretsFile);
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

/** Reads `connections:` of a secrets file into a map; throws naming the file and the bad key. */
function readSecretsFile(path: string): Map<string, string> {
  const fail = (problem: string, cause?: unknown): never => {
    const message = `secrets file '${path}' ${problem}`;
    throw new TributaryError(Code.InvalidArgument, message, { problems: [{ message }], cause });
  };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return fail(`cannot be read: ${(error as Error).message}`, error);
  }
  // JSON is YAML, so one parser reads both. Its messages quote the source after the first line, which
  // could show a password: keep only the first line (what is wrong, and where).
  const doc = parseDocument(text);
  const [syntax] = doc.errors;
  if (syntax !== undefined) {
    return fail(`is not valid YAML or JSON: ${syntax.message.split('\n')[0]?.replace(/:$/, '')}`);
  }
  const root = doc.contents;
  if (!isMap(root)) return fail('must be a mapping with a `connections:` mapping of names to URLs');
  const connections = new Map<string, string>();
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key !== 'connections') {
      fail(`has an unknown key '${key}' (it holds only \`connections:\`, a mapping of names to URLs)`);
    }
    if (!isMap(pair.value)) return fail('`connections` must be a mapping of connection names to URLs');
    for (const entry of pair.value.items) {
      const name = isScalar(entry.key) ? String(entry.key.value) : '';
      if (!new RegExp(CONNECTION_NAME_PATTERN).test(name)) {
        fail(`has an invalid connection name '${name}' (use letters, digits and _, starting with a letter)`);
      }
      const url = isScalar(entry.value) ? entry.value.value : undefined;
      if (typeof url !== 'string' || url.trim() === '') {
        fail(`connections.${name} must be a non-empty string (a Postgres URL)`);
      }
      connections.set(name, url as string);
    }
  }
  return connections;
}
