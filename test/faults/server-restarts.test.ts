// Fault scenarios 4 and 5: nats-server (its JetStream store on disk) and Postgres (fast shutdown, then
// start) restarted mid-run.
import { afterAll, expect, it } from 'vitest';
import { stopAll } from '../harness/index.js';
import { type Scenario, startScenario, untilSucceeded } from './scenario.js';

const WORKER = { concurrency: 8 };

let scenario: Scenario | undefined;
afterAll(async () => {
  await scenario?.close();
  await stopAll();
});

/**
 * Runs the suite's DAG, restarts a server with `restart` mid-run, audits the run, and checks that every
 * process that lost its connection said so (`logged` matches a line of each of `loggers`).
 */
async function restartMidRun(
  name: string,
  restart: (running: Scenario) => Promise<void>,
  logged: RegExp,
  loggers: (running: Scenario) => { output(): string }[],
) {
  await scenario?.close();
  scenario = await startScenario(name, {
    workers: [WORKER, WORKER],
    dag: { chains: 40, length: 50, taskMs: 20 },
  });
  await untilSucceeded(scenario, 300);
  const before = await scenario.succeededTasks();
  const restartedAt = Date.now();
  await restart(scenario);
  // Recovery: the run makes progress again once the clients have reconnected.
  await untilSucceeded(scenario, before + 50);
  const recoverMs = Date.now() - restartedAt;
  const audit = await scenario.finish({ restarts: 1, recoverMs });
  expect(audit.violations).toEqual([]);
  expect(audit.runState).toBe('succeeded');
  for (const process of loggers(scenario)) expect(process.output()).toMatch(logged);
}

it('finishes the run soundly when nats-server restarts mid-run', async () => {
  await restartMidRun(
    'nats-restart',
    (running) => running.cluster.nats.restart(),
    // One log line with both, in whatever order the logger writes its fields.
    /^(?=.*"msg":"nats connection")(?=.*"status":"reconnect).*$/m,
    (running) => [running.cluster.coordinator, ...running.cluster.workers],
  );
}, 180_000);

it('finishes the run soundly when Postgres restarts mid-run', async () => {
  await restartMidRun(
    'postgres-restart',
    async (running) => {
      await running.cluster.pg.stop('fast');
      await running.cluster.pg.start();
    },
    /postgres connection closed/,
    (running) => [running.cluster.coordinator],
  );
}, 180_000);
