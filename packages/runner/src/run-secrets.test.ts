import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecretResolver } from '@tributary/executors';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent, TaskLogEvent } from './events.js';
import { runDagLocally } from './run-dag-locally.js';

const TOKEN = 'local-9d2e7b41c0';
const folders: string[] = [];

afterEach(async () => {
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A DAG whose shell and node tasks print the secret every DAG task gets from `defaults`. */
async function secretsDag(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-secrets-run-'));
  folders.push(dir);
  await writeFile(
    join(dir, 'dag.yaml'),
    `name: secrets_test
defaults: { secrets: [API_TOKEN] }
tasks:
  call:
    kind: shell
    command: echo "calling with $API_TOKEN"; printf %s "$API_TOKEN" | wc -c
  check:
    kind: node
    module: ./check.mjs
    needs: [call]
  leak:
    kind: shell
    secrets: [SMTP_KEY]
    command: echo never
`,
  );
  await writeFile(
    join(dir, 'check.mjs'),
    `import { createHash } from 'node:crypto';
export function run(ctx) {
  console.log('node sees', ctx.secrets.API_TOKEN);
  return createHash('sha256').update(ctx.secrets.API_TOKEN).digest('hex');
}
`,
  );
  return dir;
}

describe('secrets in a local run', () => {
  it('reads secrets from its resolver, masks them in log events, and fails a task whose secret is missing', async () => {
    const events: RunEvent[] = [];
    const summary = await runDagLocally({
      path: await secretsDag(),
      concurrency: 2,
      secrets: createSecretResolver({ env: { TRIBUTARY_SECRET_API_TOKEN: TOKEN } }),
      onEvent: (event) => events.push(event),
    });
    const logs = events.filter((event): event is TaskLogEvent => event.type === 'log');
    expect(logs.map(({ task, line }) => `${task}: ${line}`)).toEqual(
      expect.arrayContaining(['call: calling with ***', 'check: node sees ***']),
    );
    expect(JSON.stringify(events)).not.toContain(TOKEN);
    expect(summary.tasks.call?.output).toBe(TOKEN.length);
    expect(summary.tasks.check?.output).toBe(createHash('sha256').update(TOKEN).digest('hex'));
    expect(summary.tasks.leak).toMatchObject({ state: 'failed', attempts: 1 });
    expect(summary.tasks.leak?.error).toMatchObject({ type: 'SecretNotConfigured', retryable: false });
    expect(summary.tasks.leak?.error?.message).toMatch(
      /^task 'leak' names secret 'SMTP_KEY', which is not configured here: set TRIBUTARY_SECRET_SMTP_KEY/,
    );
    expect(summary.run.state).toBe('failed');
  });
});
