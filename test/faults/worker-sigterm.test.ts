// Fault scenario 6: a worker SIGTERMed mid-run hands its tasks back instead of failing them.
import { afterAll, expect, it } from 'vitest';
import { stopAll } from '../harness/index.js';
import { liveWorkers, type Scenario, startScenario, untilRunningTasks, untilSucceeded } from './scenario.js';

const WORKER = { concurrency: 8 };

let scenario: Scenario | undefined;
afterAll(async () => {
  await scenario?.close();
  await stopAll();
});

it('hands the tasks of a SIGTERMed worker back: retried at once, none failed', async () => {
  scenario = await startScenario('worker-sigterm', {
    // The first worker's grace period is shorter than its tasks: it must hand them back.
    workers: [{ ...WORKER, env: { TRIBUTARY_SHUTDOWN_GRACE_MS: '1' } }, WORKER, WORKER],
    dag: { chains: 40, length: 50, taskMs: 100 },
  });
  await untilSucceeded(scenario, 100);
  const victim = liveWorkers(scenario)[0]!;
  await untilRunningTasks(scenario, victim);
  const exitCode = await victim.stop(15_000);
  const handedBack = victim.output().split('handing it back').length - 1;
  const audit = await scenario.finish({ workerSigterms: 1, handedBack });
  expect(exitCode).toBe(0);
  expect(handedBack).toBeGreaterThan(0);
  expect(audit.violations).toEqual([]);
  expect(audit.runState).toBe('succeeded');
  // Handed back, not failed: the same attempts ran elsewhere, and no attempt beyond one per task.
  expect(audit.extraAttempts).toEqual({});
}, 180_000);
