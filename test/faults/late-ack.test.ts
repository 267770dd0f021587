// Fault scenario 9: a worker overruns the ack deadline (paused shorter than the heartbeat timeout), its
// tasks are redelivered to another worker, and then its late acks and results arrive.
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { stopAll } from '../harness/index.js';
import { EXECUTION_LOG_VARIABLE } from './load-dag.js';
import { busiestWorker, type Scenario, sleep, startScenario, untilSucceeded } from './scenario.js';

let scenario: Scenario | undefined;
afterAll(async () => {
  await scenario?.close();
  await stopAll();
});

it('applies a result once, for the current attempt, when a late ack follows a redelivery', async () => {
  const log = join(tmpdir(), `tributary-late-ack-${process.pid}-${Date.now()}.log`);
  // JetStream redelivers after 2 s without progress (the workers own their pool's consumer); a worker
  // is declared lost only after 20 s.
  const worker = {
    concurrency: 8,
    env: { [EXECUTION_LOG_VARIABLE]: log, TRIBUTARY_TASK_ACK_WAIT_MS: '2000' },
  };
  scenario = await startScenario('late-ack', {
    workers: [worker, worker],
    dag: { chains: 40, length: 50, taskMs: 20 },
    coordinatorEnv: { TRIBUTARY_HEARTBEAT_TIMEOUT_MS: '20000' },
  });
  await untilSucceeded(scenario, 100);
  // The busiest worker, so that the pause strands attempts for JetStream to redeliver.
  const victim = await busiestWorker(scenario);
  victim.signal('SIGSTOP');
  await sleep(5_000);
  victim.signal('SIGCONT');
  const audit = await scenario.finish({ pausedMs: 5_000 });
  expect(audit.violations).toEqual([]);
  expect(audit.runState).toBe('succeeded');
  // Nobody was declared lost: the paused worker came back in time.
  expect(audit.extraAttempts.lost ?? 0).toBe(0);
  // The redelivery happened: some attempts started twice (the paused worker had started them; the
  // copy JetStream redelivered started again), and yet each counted once.
  const starts = new Map<string, number>();
  for (const line of (await readFile(log, 'utf8')).trim().split('\n')) {
    const [task, attempt, , phase] = line.split(' ');
    if (phase === 'start') starts.set(`${task} ${attempt}`, (starts.get(`${task} ${attempt}`) ?? 0) + 1);
  }
  expect([...starts.values()].filter((n) => n > 1).length).toBeGreaterThan(0);
}, 180_000);
