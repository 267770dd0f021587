// Fault scenario 8: the broker loses its data: the task stream is deleted mid-run, with the messages
// queued in it and the pools' consumers.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, expect, it } from 'vitest';
import { stopAll } from '../harness/index.js';
import { type Scenario, startScenario, untilSucceeded } from './scenario.js';

const WORKER = { concurrency: 8 };

let scenario: Scenario | undefined;
afterAll(async () => {
  await scenario?.close();
  await stopAll();
});

it('publishes again what Postgres knows is queued when the task stream is deleted mid-run', async () => {
  scenario = await startScenario('broker-data-loss', {
    workers: [WORKER, WORKER],
    dag: { chains: 40, length: 50, taskMs: 20 },
  });
  await untilSucceeded(scenario, 300);
  const nc = await connect({ servers: scenario.cluster.nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    const before = await jsm.streams.info('TRIB_TASKS');
    await jsm.streams.delete('TRIB_TASKS');
    const deletedAt = Date.now();
    const progress = await scenario.succeededTasks();
    await untilSucceeded(scenario, progress + 100);
    const recoverMs = Date.now() - deletedAt;
    const after = await jsm.streams.info('TRIB_TASKS');
    expect(after.created).not.toBe(before.created);
    // The coordinator found the queued attempts whose messages went with the stream, and published them.
    const line = scenario.cluster.coordinator
      .output()
      .split('\n')
      .find((l) => l.includes('task messages lost with the broker published again'));
    const republished = (JSON.parse(line ?? '{}') as { republished?: number }).republished ?? 0;
    expect(republished).toBeGreaterThan(0);
    const audit = await scenario.finish({ streamDeletions: 1, recoverMs, republished });
    expect(audit.violations).toEqual([]);
    expect(audit.runState).toBe('succeeded');
  } finally {
    await nc.close();
  }
}, 180_000);
