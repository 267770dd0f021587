import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@tributary/core';
import { taskDefaults } from '@tributary/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_SECRETS, resolveAttemptSecrets } from './attempt-secrets.js';
import { createConnectionResolver } from './connections.js';
import { createSecretResolver, secretEnvName, withoutProcessCredentials } from './secrets.js';
import { nodeRequest, sqlRequest } from './test-fixtures/requests.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-secrets-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function secretsFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('createSecretResolver', () => {
  it('reads TRIBUTARY_SECRET_<NAME>, then the secrets file, from the same file as connections', async () => {
    const file = await secretsFile(
      'both.yaml',
      'connections:\n  warehouse: postgres://file/wh\nsecrets:\n  API_TOKEN: from-file\n  SMTP_KEY: "smtp-file"\n',
    );
    const resolve = createSecretResolver({
      env: { TRIBUTARY_SECRET_SMTP_KEY: 'smtp-env', TRIBUTARY_SECRET_API_TOKEN: '' },
      secretsFile: file,
    });
    expect(secretEnvName('API_TOKEN')).toBe('TRIBUTARY_SECRET_API_TOKEN');
    // An empty variable counts as unset.
    expect(resolve('API_TOKEN')).toBe('from-file');
    expect(resolve('SMTP_KEY')).toBe('smtp-env');
    expect(resolve('OTHER')).toBeUndefined();
    expect(createConnectionResolver({ secretsFile: file })('warehouse')).toBe('postgres://file/wh');
  });

  it('accepts a file with only secrets', async () => {
    const file = await secretsFile('only.json', '{"secrets": {"API_TOKEN": "json-token"}}');
    expect(createSecretResolver({ secretsFile: file })('API_TOKEN')).toBe('json-token');
    expect(createConnectionResolver({ secretsFile: file })('warehouse')).toBeUndefined();
  });

  it.each([
    [
      'lower.yaml',
      'secrets:\n  api_token: x\n',
      /has an invalid secret name 'api_token' \(use upper-case letters/,
    ],
    [
      'number.yaml',
      'secrets:\n  PIN: 1234\n',
      /secrets\.PIN must be a non-empty string \(the secret's value\) \(quote it\)$/,
    ],
    ['flat.yaml', 'secrets: [A]\n', /`secrets` must be a mapping of secret names to values$/],
    [
      'typo.yaml',
      'secret:\n  A: b\n',
      /has an unknown key 'secret' \(it holds only `connections:`.* and `secrets:`/,
    ],
  ])('refuses %s, naming the file and the key but never a value', async (name, text, message) => {
    const path = await secretsFile(name, text);
    expect(() => createSecretResolver({ secretsFile: path })).toThrow(message);
    expect(() => createSecretResolver({ secretsFile: path })).toThrow(
      expect.objectContaining({ code: Code.InvalidArgument }),
    );
  });
});

describe('resolveAttemptSecrets', () => {
  const noConnections = () => undefined;

  it('masks nothing for a task without secrets or connection', () => {
    expect(resolveAttemptSecrets(nodeRequest().task, 'transform', () => 'x', noConnections)).toBe(NO_SECRETS);
  });

  it("masks a sql task's connection password, as written and decoded", () => {
    const url = 'postgres://etl:s3cr%3Ft@db/w';
    const secrets = resolveAttemptSecrets(
      sqlRequest('select 1').task,
      'query',
      () => undefined,
      () => url,
    );
    expect(secrets).toEqual({ values: {}, masked: ['s3cr%3Ft', 's3cr?t'] });
  });

  it('treats a model stored before tasks named secrets as naming none', () => {
    const { secrets: _, ...old } = nodeRequest().task;
    expect(taskDefaults().secrets).toEqual([]);
    expect(resolveAttemptSecrets(old as never, 'transform', () => undefined, noConnections)).toBe(NO_SECRETS);
  });
});

describe('withoutProcessCredentials', () => {
  it("drops the process's connection URLs and secrets and unset variables, keeping the rest", () => {
    expect(
      withoutProcessCredentials({
        PATH: '/bin',
        TRIBUTARY_SECRET_API_TOKEN: 't',
        TRIBUTARY_CONNECTION_W: 'postgres://u:p@h/w',
        TRIBUTARY_SERVER: 'h:7070',
        UNSET: undefined,
      }),
    ).toEqual({ PATH: '/bin', TRIBUTARY_SERVER: 'h:7070' });
  });
});
