// Fault scenario 5: Postgres restarted mid-run (fast shutdown, then start).
import { afterAll, expect, it } from 'vitest';
import { stopAll } from '../harness/index.js';
import { type Scenario, startScenario, untilSucceeded } from './scenario.js';

const WORKER = { concurrency: 8 };

let scenario: Scenario | undefined;
afterAll(async () => {
  await scenario?.close();
  await stopAll();
});

it('finishes the run soundly when Postgres restarts mid-run', async () => {
  scenario = await startScenario('postgres-restart', {
    workers: [WORKER, WORKER],
    dag: { chains: 40, length: 50, taskMs: 20 },
  });
  await untilSucceeded(scenario, 300);
  const before = await scenario.succeededTasks();
  const restartedAt = Date.now();
  await scenario.cluster.pg.stop('fast');
  await scenario.cluster.pg.start();
  await untilSucceeded(scenario, before + 50);
  const recoverMs = Date.now() - restartedAt;
  const audit = await scenario.finish({ postgresRestarts: 1, recoverMs });
  expect(audit.violations).toEqual([]);
  expect(audit.runState).toBe('succeeded');
}, 180_000);
