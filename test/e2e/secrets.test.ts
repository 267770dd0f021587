// Secrets on the cluster: values from the worker's environment and secrets file reach the tasks that
// name them, and the shipped log lines (gRPC StreamTaskLogs) and results hold only ***.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Run, runStateFromProto, taskStateFromProto, valueToJson } from '@tributary/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../harness/index.js';
import { type Cluster, REPO_ROOT, startCluster } from './cluster.js';

const TOKEN = 'cluster-token-5e1f0a';
const SMTP_KEY = 'smtp-from-file-77c2';

let cluster: Cluster;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-e2e-secrets-'));
  const secretsFile = join(dir, 'secrets.yaml');
  await writeFile(secretsFile, `secrets:\n  SMTP_KEY: "${SMTP_KEY}"\n`);
  cluster = await startCluster({
    workers: 1,
    workerEnv: () => ({ TRIBUTARY_SECRET_API_TOKEN: TOKEN, TRIBUTARY_SECRETS_FILE: secretsFile }),
  });
  await cluster.client.deployDagFolder(join(REPO_ROOT, 'test', 'fixtures', 'dags', 'secrets'));
});

afterAll(async () => {
  cluster?.client.close();
  await stopAll();
  await rm(dir, { recursive: true, force: true });
});

async function finishedRun(runId: string): Promise<Run> {
  for await (const message of cluster.client.watchRun(runId)) {
    if (message.event.case === 'finished') return message.event.value;
  }
  throw new Error(`run ${runId} did not finish`);
}

async function logLines(runId: string, taskId: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const response of cluster.client.streamTaskLogs(runId, taskId, {})) {
    lines.push(...response.lines.map((line) => line.line));
  }
  return lines;
}

describe('secrets on the cluster', () => {
  it('reach the tasks from the worker, are masked in shipped logs, and a missing one fails without retries', async () => {
    const { run } = await cluster.client.triggerRun({ dag: 'secrets' });
    const finished = await finishedRun(run!.id);
    const task = (id: string) => finished.tasks.find((t) => t.taskId === id);
    expect(runStateFromProto(finished.state)).toBe('failed');

    expect(valueToJson(task('call')!.output!)).toBe(TOKEN.length);
    expect(valueToJson(task('check')!.output!)).toBe(createHash('sha256').update(TOKEN).digest('hex'));
    expect(await logLines(run!.id, 'call')).toEqual(['calling with *** and ***', String(TOKEN.length)]);
    expect(await logLines(run!.id, 'check')).toEqual(['token is ***', 'console: ***']);

    const unknown = task('unknown')!;
    expect(taskStateFromProto(unknown.state)).toBe('failed');
    expect(unknown.attempt).toBe(1);
    expect(unknown.error).toMatchObject({ type: 'SecretNotConfigured', retryable: false });
    expect(unknown.error?.message).toMatch(
      /^task 'unknown' names secret 'NOWHERE_KEY', which is not configured here/,
    );

    const everything = JSON.stringify(finished, (_, value) =>
      typeof value === 'bigint' ? String(value) : value,
    );
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(SMTP_KEY);
  });
});
