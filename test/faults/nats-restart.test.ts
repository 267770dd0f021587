// Fault scenario 4: nats-server restarted mid-run; its JetStream store is on disk and survives.
import { afterAll, expect, it } from 'vitest';
import { stopAll } from '../harness/index.js';
import { type Scenario, startScenario, untilSucceeded } from './scenario.js';

const WORKER = { concurrency: 8 };

let scenario: Scenario | undefined;
afterAll(async () => {
  await scenario?.close();
  await stopAll();
});

it('finishes the run soundly when nats-server restarts mid-run', async () => {
  scenario = await startScenario('nats-restart', {
    workers: [WORKER, WORKER],
    dag: { chains: 40, length: 50, taskMs: 20 },
  });
  await untilSucceeded(scenario, 300);
  const before = await scenario.succeededTasks();
  const restartedAt = Date.now();
  await scenario.cluster.nats.restart();
  // Recovery: the run makes progress again once the clients have reconnected.
  await untilSucceeded(scenario, before + 50);
  const recoverMs = Date.now() - restartedAt;
  const audit = await scenario.finish({ natsRestarts: 1, recoverMs });
  expect(audit.violations).toEqual([]);
  expect(audit.runState).toBe('succeeded');
}, 180_000);
