import type { Failure } from '@tributary/core';
import type { TaskModel } from '@tributary/spec';
import { connectionPasswords } from './connections.js';
import { secretHint } from './secrets.js';
import type { ConnectionResolver, SecretResolver } from './types.js';

/** What one attempt gets of the secrets of the process that runs it. */
export interface AttemptSecrets {
  /** The values of the secrets the task names, by name. */
  values: Readonly<Record<string, string>>;
  /** Every value to mask in the attempt's logs and error: the secrets' and its sql connection's password. */
  masked: readonly string[];
}

/** An attempt that names no secret and uses no connection. */
export const NO_SECRETS: AttemptSecrets = { values: {}, masked: [] };

/**
 * Resolves the secrets `task` names, and what to mask in its logs. A secret this process does not have
 * is a `SecretNotConfigured` failure naming every missing secret and the task: not retryable, since
 * another attempt on the same worker would miss it again (as `ConnectionNotConfigured`).
 */
export function resolveAttemptSecrets(
  task: TaskModel,
  taskId: string,
  secrets: SecretResolver,
  connections: ConnectionResolver,
): AttemptSecrets | Failure {
  const values: Record<string, string> = {};
  const missing: string[] = [];
  // Absent in models compiled before tasks could name secrets.
  for (const name of task.secrets ?? []) {
    const value = secrets(name);
    if (value === undefined) missing.push(name);
    else values[name] = value;
  }
  if (missing.length > 0) return secretNotConfiguredFailure(taskId, missing);
  const masked = Object.values(values);
  if (task.kind === 'sql') {
    const url = connections(task.connection);
    if (url !== undefined) masked.push(...connectionPasswords(url));
  }
  return masked.length === 0 ? NO_SECRETS : { values, masked };
}

function secretNotConfiguredFailure(taskId: string, missing: readonly string[]): Failure {
  const names = missing.map((name) => `'${name}'`).join(', ');
  const what = missing.length === 1 ? `secret ${names}, which is` : `secrets ${names}, which are`;
  return {
    type: 'SecretNotConfigured',
    message: `task '${taskId}' names ${what} not configured here: ${secretHint(missing)}`,
    retryable: false,
    details: { secrets: [...missing] },
  };
}
