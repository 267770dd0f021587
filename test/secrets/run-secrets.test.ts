// `tributary run` end to end: secrets from the environment and the secrets file reach tasks, masked.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../e2e/cluster.js';
import { spawnProcess, stopAll } from '../harness/index.js';

const FROM_ENV = 'env-token-71c3a9';
const FROM_FILE = 'file-key-0b5d2e';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-run-secrets-'));
  await writeFile(
    join(dir, 'dag.yaml'),
    `name: run_secrets
tasks:
  shell_task:
    kind: shell
    secrets: [API_TOKEN, SMTP_KEY]
    command: echo "token $API_TOKEN key $SMTP_KEY"; echo '"ok"'
  node_task:
    kind: node
    module: ./task.mjs
    secrets: [SMTP_KEY]
`,
  );
  await writeFile(
    join(dir, 'task.mjs'),
    "export function run(ctx) { ctx.log('key', ctx.secrets.SMTP_KEY); return ctx.secrets.SMTP_KEY.length; }\n",
  );
  await writeFile(join(dir, 'secrets.yaml'), `secrets:\n  SMTP_KEY: "${FROM_FILE}"\n`);
});

afterAll(async () => {
  await stopAll();
  await rm(dir, { recursive: true, force: true });
});

describe('tributary run with secrets', () => {
  it('takes secrets from TRIBUTARY_SECRET_<NAME> and --secrets-file and prints only ***', async () => {
    const run = spawnProcess(
      process.execPath,
      [CLI, 'run', dir, '--json', '--secrets-file', join(dir, 'secrets.yaml')],
      { name: 'tributary run (secrets)', env: { TRIBUTARY_SECRET_API_TOKEN: FROM_ENV } },
    );
    const status = await run.exited;
    const output = run.output();
    expect(status.code, output).toBe(0);
    expect(output).not.toContain(FROM_ENV);
    expect(output).not.toContain(FROM_FILE);
    expect(output).toContain('token *** key ***');
    const summary = JSON.parse(output.trimEnd().split('\n').at(-1) ?? '{}');
    expect(summary.tasks.node_task.output).toBe(FROM_FILE.length);
  });

  it('fails a task whose secret is configured nowhere, naming it', async () => {
    const run = spawnProcess(process.execPath, [CLI, 'run', dir, '--json'], {
      name: 'tributary run (no secrets)',
      env: { TRIBUTARY_SECRET_API_TOKEN: '' },
    });
    const status = await run.exited;
    expect(status.code).toBe(1);
    expect(run.output()).toContain('SecretNotConfigured');
    expect(run.output()).toContain('TRIBUTARY_SECRET_SMTP_KEY');
  });
});
