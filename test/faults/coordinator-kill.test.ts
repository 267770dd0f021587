// Fault scenario 3: the coordinator SIGKILLed mid-run and started again.
import { afterAll, expect, it } from 'vitest';
import { stopAll } from '../harness/index.js';
import { type Scenario, sleep, startScenario, untilSucceeded } from './scenario.js';

const WORKER = { concurrency: 8 };

let scenario: Scenario | undefined;
afterAll(async () => {
  await scenario?.close();
  await stopAll();
});

it('finishes the run soundly when the coordinator is SIGKILLed twice mid-run', async () => {
  scenario = await startScenario('coordinator-kill', {
    workers: [WORKER, WORKER],
    dag: { chains: 40, length: 50, taskMs: 20 },
  });
  let kills = 0;
  for (const progress of [300, 1_000]) {
    await untilSucceeded(scenario, progress);
    await scenario.cluster.coordinator.kill();
    kills++;
    await sleep(500);
    await scenario.cluster.startCoordinator();
  }
  const audit = await scenario.finish({ coordinatorKills: kills });
  expect(audit.violations).toEqual([]);
  expect(audit.runState).toBe('succeeded');
}, 180_000);
