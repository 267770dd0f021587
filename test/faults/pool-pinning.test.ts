// Fault scenario 7: tasks pinned to pools a, b and c under load; every attempt ran in its pool.
import { afterAll, expect, it } from 'vitest';
import { stopAll } from '../harness/index.js';
import { attemptWorkers } from './audit.js';
import { type Scenario, startScenario } from './scenario.js';

let scenario: Scenario | undefined;
afterAll(async () => {
  await scenario?.close();
  await stopAll();
});

/** The worker id and pools a worker process announced when it started. */
function announced(output: string): { workerId: string; pools: string[] } {
  const line = output.split('\n').find((l) => l.includes('"worker started"'));
  if (line === undefined) throw new Error(`no "worker started" line in:\n${output}`);
  const fields = JSON.parse(line) as { workerId: string; pools: string[] };
  return { workerId: fields.workerId, pools: fields.pools };
}

it('runs every attempt of a pinned task on a worker of its pool', async () => {
  scenario = await startScenario('pool-pinning', {
    workers: [
      { pools: ['default', 'a'], concurrency: 8 },
      { pools: ['a'], concurrency: 4 },
      { pools: ['b'], concurrency: 8 },
      { pools: ['c'], concurrency: 8 },
    ],
    dag: { chains: 39, length: 52, taskMs: 10, pools: ['a', 'b', 'c'] },
  });
  const audit = await scenario.finish({ pools: 3 });
  expect(audit.violations).toEqual([]);
  expect(audit.runState).toBe('succeeded');
  const poolsOf = new Map(
    scenario.cluster.workers.map((w) => announced(w.output())).map((a) => [a.workerId, a.pools]),
  );
  const attempts = await attemptWorkers(scenario.cluster.databaseUrl, scenario.runId);
  expect(attempts.length).toBeGreaterThanOrEqual(scenario.dag.taskCount);
  expect(scenario.dag.taskCount).toBeGreaterThanOrEqual(2_000);
  const misplaced = attempts.filter((a) => !(poolsOf.get(a.workerId ?? '') ?? []).includes(a.pool));
  expect(misplaced).toEqual([]);
  // Every pool did work.
  expect(new Set(attempts.map((a) => a.pool))).toEqual(new Set(['default', 'a', 'b', 'c']));
}, 180_000);
