import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDagLocally } from './run-dag-locally.js';

const folders: string[] = [];

afterEach(async () => {
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

// With one slot, `busy` holds it for a second while `waiter` may wait only 200ms in the queue.
const QUEUE_DAG = `
name: queue_timeout_test
tasks:
  busy: { kind: shell, command: sleep 1 }
  waiter: { kind: shell, command: exit 0, queue_timeout: 200ms, retries: 2 }
  after: { kind: shell, command: exit 0, needs: [waiter] }
`;

describe('runDagLocally with a queue_timeout', () => {
  it('fails an attempt that waits for a slot longer than its queue_timeout, without a retry', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-queue-'));
    folders.push(dir);
    await writeFile(join(dir, 'dag.yaml'), QUEUE_DAG);

    const summary = await runDagLocally({ path: dir, concurrency: 1 });

    expect(summary.tasks.busy?.state).toBe('succeeded');
    expect(summary.tasks.waiter).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: {
        type: 'QueueTimeout',
        retryable: false,
        message: "task 'waiter' waited 200ms in queue for pool default without a worker starting it",
      },
    });
    expect(summary.tasks.after?.state).toBe('upstream_failed');
    expect(summary.run.state).toBe('failed');
  });
});
