/**
 * Where the values of the secrets a task names (`secrets: [API_TOKEN]`) come from. Like connection URLs
 * they live only where tasks run: the process that runs the task (the worker, or `tributary run`) maps
 * each name to a value, so a secret never enters the DAG, its bundle, the database or a message.
 */
import { CONNECTION_ENV_PREFIX } from './connections.js';
import { readSecretsFile } from './secrets-file.js';
import type { SecretResolver } from './types.js';

/** The prefix of the environment variables that hold secret values. */
export const SECRET_ENV_PREFIX = 'TRIBUTARY_SECRET_';

/** The variable that holds a secret's value: `API_TOKEN` is `TRIBUTARY_SECRET_API_TOKEN`. */
export function secretEnvName(name: string): string {
  return `${SECRET_ENV_PREFIX}${name}`;
}

/** Where {@link createSecretResolver} looks secrets up. */
export interface SecretResolverOptions {
  /**
   * The environment to read `TRIBUTARY_SECRET_<NAME>` from. Only a service's `main.ts` (or the CLI)
   * passes `process.env`; it is read at each lookup.
   * @default {}
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * A YAML or JSON file whose `secrets:` maps names to values (`secrets: { API_TOKEN: "..." }`); the
   * same file as the connections'. Read once, when the resolver is created.
   * @default none
   */
  secretsFile?: string | undefined;
}

/**
 * A resolver of secret names to values, for `ExecutorOptions.secrets`.
 *
 * Precedence: the environment variable `TRIBUTARY_SECRET_<NAME>` (an empty value counts as unset) wins
 * over the secrets file's `secrets.<NAME>`, as for connections. A name found in neither resolves to
 * undefined, and an attempt of a task that names it fails with `SecretNotConfigured`.
 *
 * @throws TributaryError `InvalidArgument` when the secrets file cannot be read or is malformed, naming
 * the file and the key, never a value.
 */
export function createSecretResolver(options: SecretResolverOptions = {}): SecretResolver {
  const env = options.env ?? {};
  const fromFile =
    options.secretsFile === undefined
      ? new Map<string, string>()
      : readSecretsFile(options.secretsFile).secrets;
  return (name) => {
    const fromEnv = env[secretEnvName(name)];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    return fromFile.get(name);
  };
}

/** How to configure secrets, for the message of a task whose secret is missing. */
export function secretHint(names: readonly string[]): string {
  const variables = names.map(secretEnvName).join(', ');
  return (
    `set ${variables} where the task runs, or add ${names.length === 1 ? 'it' : 'them'} under ` +
    '`secrets:` in the secrets file (--secrets-file or TRIBUTARY_SECRETS_FILE)'
  );
}

/**
 * `env` without the unset variables and without the process's own connection URLs and secrets
 * (`TRIBUTARY_CONNECTION_*`, `TRIBUTARY_SECRET_*`): what task code starts from, so that a task gets
 * only the secrets it names.
 */
export function withoutProcessCredentials(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (name.startsWith(CONNECTION_ENV_PREFIX) || name.startsWith(SECRET_ENV_PREFIX)) continue;
    kept[name] = value;
  }
  return kept;
}
