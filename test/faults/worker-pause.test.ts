// Fault scenario 2, and its negative control (scenario 10): a worker paused (SIGSTOP) past the heartbeat
// timeout comes back (SIGCONT) with results for attempts that were taken away from it.

import postgres from 'postgres';
import { afterAll, expect, it } from 'vitest';
import { stopAll, waitFor } from '../harness/index.js';
import {
  busiestWorker,
  type Scenario,
  startScenario,
  untilRunningTasks,
  untilSucceeded,
} from './scenario.js';

// JetStream must not redeliver the paused worker's tasks before the coordinator declares them lost
// (heartbeat timeout, after the sweep's start-up grace): as in production, the ack wait is the longer.
const WORKER = { concurrency: 8, env: { TRIBUTARY_TASK_ACK_WAIT_MS: '60000' } };
// A retry waits a second: the paused worker's results arrive while its tasks wait to be retried. Tasks
// of 100 ms keep the paused worker's slots mostly on tasks it already reported: an attempt it received
// and never reported comes back only by JetStream's redelivery, a minute later.
const DAG = { chains: 40, length: 50, taskMs: 100, retryDelay: '1s' };

let scenario: Scenario | undefined;
afterAll(async () => {
  await scenario?.close();
  await stopAll();
});

/** Pauses one worker until the coordinator declared its attempts lost, then lets it go on. */
async function pauseWorkerPastHeartbeatTimeout(
  running: Scenario,
): Promise<{ pausedMs: number; lost: number }> {
  await untilSucceeded(running, 100);
  const victim = await busiestWorker(running);
  // On a loaded machine even the busiest worker can be idle for a moment: paused then, it holds
  // nothing to declare lost.
  await untilRunningTasks(running, victim);
  const sql = postgres(running.cluster.databaseUrl, { max: 1, onnotice: () => {} });
  const pausedAt = Date.now();
  victim.signal('SIGSTOP');
  try {
    const lost = await waitFor(
      async () => {
        const [row] = await sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM task_attempts WHERE run_id = ${running.runId} AND state = 'lost'`;
        return row?.n;
      },
      { description: 'the paused worker attempts declared lost', timeoutMs: 45_000, intervalMs: 50 },
    );
    return { pausedMs: Date.now() - pausedAt, lost };
  } finally {
    victim.signal('SIGCONT');
    await sql.end();
  }
}

it('fences the results of a worker paused past the heartbeat timeout, and the run ends sound', async () => {
  scenario = await startScenario('worker-pause', { workers: [WORKER, WORKER, WORKER], dag: DAG });
  const { pausedMs, lost } = await pauseWorkerPastHeartbeatTimeout(scenario);
  const audit = await scenario.finish({ pauses: 1, pausedMs, lostAtResume: lost });
  expect(audit.violations).toEqual([]);
  expect(audit.runState).toBe('succeeded');
  expect(audit.extraAttempts.lost ?? 0).toBeGreaterThan(0);
  await scenario.close();
  scenario = undefined;
}, 180_000);

it('negative control: without attempt fencing, the paused worker records stale results', async () => {
  scenario = await startScenario('worker-pause-unfenced', {
    workers: [WORKER, WORKER, WORKER],
    dag: DAG,
    coordinatorEnv: { TRIBUTARY_UNSAFE_DISABLE_FENCING: '1' },
  });
  await pauseWorkerPastHeartbeatTimeout(scenario);
  const audit = await scenario.finish({ pauses: 1 });
  // A lost attempt's late result was taken for the task's: the audit sees a task whose recorded
  // success does not belong to its current attempt.
  expect(audit.violations.length).toBeGreaterThan(0);
}, 180_000);
