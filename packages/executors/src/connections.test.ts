import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@tributary/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionEnvName, connectionPasswords, createConnectionResolver } from './connections.js';

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

describe('createConnectionResolver', () => {
  it('names the variable of a connection by upper-casing it', () => {
    expect(connectionEnvName('warehouse')).toBe('TRIBUTARY_CONNECTION_WAREHOUSE');
    expect(connectionEnvName('crmReplica_2')).toBe('TRIBUTARY_CONNECTION_CRMREPLICA_2');
  });

  it('reads TRIBUTARY_CONNECTION_<NAME> from the env it is given, at each lookup', () => {
    const env: Record<string, string | undefined> = { TRIBUTARY_CONNECTION_WAREHOUSE: 'postgres://a/db' };
    const resolve = createConnectionResolver({ env });
    expect(resolve('warehouse')).toBe('postgres://a/db');
    expect(resolve('crm')).toBeUndefined();
    env.TRIBUTARY_CONNECTION_CRM = 'postgres://b/crm';
    expect(resolve('crm')).toBe('postgres://b/crm');
  });

  it('resolves nothing without an env or a secrets file', () => {
    expect(createConnectionResolver()('warehouse')).toBeUndefined();
  });

  it('reads a YAML secrets file, and lets the environment win over it', async () => {
    const file = await secretsFile(
      'secrets.yaml',
      'connections:\n  warehouse: postgres://file/wh\n  crm: "postgres://file/crm"\n',
    );
    const resolve = createConnectionResolver({
      env: { TRIBUTARY_CONNECTION_CRM: 'postgres://env/crm', TRIBUTARY_CONNECTION_WAREHOUSE: '' },
      secretsFile: file,
    });
    // An empty variable counts as unset, so the file's value is used.
    expect(resolve('warehouse')).toBe('postgres://file/wh');
    expect(resolve('crm')).toBe('postgres://env/crm');
    expect(resolve('other')).toBeUndefined();
  });

  it('reads a JSON secrets file once, when the resolver is created', async () => {
    const file = await secretsFile('secrets.json', '{"connections": {"warehouse": "postgres://json/wh"}}');
    const resolve = createConnectionResolver({ secretsFile: file });
    await writeFile(file, '{"connections": {"warehouse": "postgres://changed/wh"}}');
    expect(resolve('warehouse')).toBe('postgres://json/wh');
  });

  it.each([
    ['missing.yaml', undefined, /^secrets file '.*missing\.yaml' cannot be read: ENOENT/],
    [
      'list.yaml',
      '- a\n',
      /must be a mapping with `connections:` \(connection names to URLs\) and `secrets:`/,
    ],
    ['typo.yaml', 'connection:\n  w: postgres://h/db\n', /has an unknown key 'connection' \(it holds only/],
    ['names.yaml', 'connections:\n  my-db: postgres://h/db\n', /invalid connection name 'my-db'/],
    [
      'empty.yaml',
      'connections:\n  w: ""\n',
      /connections\.w must be a non-empty string \(a Postgres URL\)$/,
    ],
    ['flat.yaml', 'connections: postgres://h/db\n', /`connections` must be a mapping of connection names/],
    [
      'port.yaml',
      'connections:\n  w: 5432\n',
      /connections\.w must be a non-empty string \(a Postgres URL\) \(quote it\)$/,
    ],
  ])('refuses %s, naming the file and what is wrong', async (name, text, message) => {
    const path = text === undefined ? join(dir, name) : await secretsFile(name, text);
    expect(() => createConnectionResolver({ secretsFile: path })).toThrow(message);
    expect(() => createConnectionResolver({ secretsFile: path })).toThrow(
      expect.objectContaining({ code: Code.InvalidArgument }),
    );
  });

  it.each([
    [
      'quote.yaml',
      'connections:\n  w: "postgres://u:hunter2@h/db\n',
      'Missing closing "quote at line 3, column 1',
    ],
    [
      'compact.yaml',
      'connections:\n  w: postgres://u:hunter2@h/db x: 1\n',
      'Nested mappings are not allowed in compact mappings at line 2, column 6',
    ],
  ])('never quotes the source of a malformed file (%s): values are passwords', async (name, text, why) => {
    const path = await secretsFile(name, text);
    const error = captureError(() => createConnectionResolver({ secretsFile: path }));
    expect(error.message).toBe(`secrets file '${path}' is not valid YAML or JSON: ${why}`);
    expect(String(error)).not.toContain('hunter2');
  });
});

describe('connectionPasswords', () => {
  it('reads the password as written and decoded, multi-host URLs included, and nothing without one', () => {
    expect(connectionPasswords('postgres://etl:pa%40ss%2Fw0rd@db:5432/w')).toEqual([
      'pa%40ss%2Fw0rd',
      'pa@ss/w0rd',
    ]);
    expect(connectionPasswords('postgresql://etl:plain-pw@h1:5432,h2:5432/w')).toEqual(['plain-pw']);
    expect(connectionPasswords('postgres://etl@db/w')).toEqual([]);
    expect(connectionPasswords('postgres://etl:@db/w')).toEqual([]);
    expect(connectionPasswords('postgres://db/w?user=a@b')).toEqual([]);
  });
});

function captureError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
