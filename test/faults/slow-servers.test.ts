// Postgres and NATS answering slowly (every byte delayed both ways): the run is as sound as ever, and
// the processes do not spin while they wait.
import { readFile } from 'node:fs/promises';
import { afterAll, expect, it } from 'vitest';
import { startLatencyProxy, stopAll } from '../harness/index.js';
import { liveWorkers, type Scenario, sleep, startScenario } from './scenario.js';

const WORKER = { concurrency: 8 };
const DELAY_MS = 10;

let scenario: Scenario | undefined;
afterAll(async () => {
  await scenario?.close();
  await stopAll();
});

/** CPU time (user + system) a process has used so far, in seconds (Linux `/proc`, 100 ticks per second). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

it('runs soundly through slow Postgres and NATS connections, without busy loops', async () => {
  scenario = await startScenario('slow-servers', {
    workers: [WORKER, WORKER],
    dag: { chains: 40, length: 50, taskMs: 20 },
    route: async ({ pg, nats }) => ({
      pgPort: (await startLatencyProxy(pg.port, DELAY_MS)).port,
      natsPort: (await startLatencyProxy(nats.port, DELAY_MS)).port,
    }),
  });
  const audit = await scenario.finish({ delayMsEachWay: DELAY_MS }, 240_000);
  expect(audit.violations).toEqual([]);
  expect(audit.runState).toBe('succeeded');
  // Idle now: sweeps, heartbeats and pull loops wait between rounds instead of spinning.
  const processes = [scenario.cluster.coordinator, ...liveWorkers(scenario)];
  const before = await Promise.all(processes.map((p) => cpuSeconds(p.pid)));
  await sleep(3_000);
  const after = await Promise.all(processes.map((p) => cpuSeconds(p.pid)));
  const used = after.map((seconds, i) => seconds - before[i]!);
  console.log(`slow servers: idle CPU seconds over 3 s per process: ${JSON.stringify(used)}`);
  for (const seconds of used) expect(seconds).toBeLessThan(0.6);
}, 300_000);
