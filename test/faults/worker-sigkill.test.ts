// Fault scenario 1, and its negative control (scenario 10): workers SIGKILLed mid-run.
import { afterAll, expect, it } from 'vitest';
import type { WorkerSpec } from '../e2e/cluster.js';
import { stopAll, waitFor } from '../harness/index.js';
import {
  busiestWorker,
  FAULT_WORKER_ENV,
  type Scenario,
  sleep,
  startScenario,
  stuckTasks,
  untilSucceeded,
} from './scenario.js';

const WORKER = { concurrency: 8 };
const DAG = { chains: 40, length: 50, taskMs: 20 };

let scenario: Scenario | undefined;
afterAll(async () => {
  await scenario?.close();
  await stopAll();
});

/** SIGKILLs the busiest worker every `everyMs` and starts a new one (`spec`) in its place, `times` times. */
async function killWorkers(
  running: Scenario,
  spec: WorkerSpec,
  times: number,
  everyMs: number,
): Promise<number> {
  let kills = 0;
  while (kills < times && (await running.runState()) === 'running') {
    await (await busiestWorker(running)).kill();
    kills++;
    await running.cluster.startWorker(spec);
    await sleep(everyMs);
  }
  return kills;
}

it('loses no task when the busiest worker is SIGKILLed every few seconds and restarted', async () => {
  scenario = await startScenario('worker-sigkill', { workers: [WORKER, WORKER, WORKER], dag: DAG });
  await untilSucceeded(scenario, 100);
  const kills = await killWorkers(scenario, { ...WORKER, env: FAULT_WORKER_ENV }, 3, 2_000);
  const audit = await scenario.finish({ workerKills: kills });
  expect(audit.violations).toEqual([]);
  expect(audit.runState).toBe('succeeded');
  expect(kills).toBe(3);
  // The kills hit running tasks: they were found lost and retried.
  expect(audit.extraAttempts.lost ?? 0).toBeGreaterThan(0);
  await scenario.close();
  scenario = undefined;
}, 180_000);

it('negative control: with the lost-task sweep off, the killed workers take their tasks with them', async () => {
  // JetStream would redeliver what the killed worker held only after its ack wait, a minute here (the
  // production default is 30 s against a 15 s heartbeat timeout): the sweep is what recovers them sooner.
  const slowRedelivery = { ...WORKER, env: { TRIBUTARY_TASK_ACK_WAIT_MS: '60000' } };
  scenario = await startScenario('worker-sigkill-no-sweep', {
    workers: [slowRedelivery, slowRedelivery, slowRedelivery],
    dag: DAG,
    coordinatorEnv: { TRIBUTARY_UNSAFE_DISABLE_LOST_TASK_SWEEP: '1' },
  });
  await untilSucceeded(scenario, 100);
  await killWorkers(scenario, slowRedelivery, 1, 0);
  // Out well past the heartbeat timeout (3 s): with the sweep, these tasks would have been retried.
  const running = scenario;
  const stuck = await waitFor(() => stuckTasks(running, 8_000), {
    description: 'tasks of the killed worker stuck',
    timeoutMs: 40_000,
    intervalMs: 500,
  });
  expect(stuck).toBeGreaterThan(0);
  expect(await running.runState()).toBe('running');
}, 120_000);
