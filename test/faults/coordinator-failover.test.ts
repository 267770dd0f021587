// Fault scenario 3, high-availability variant: two coordinators; the leader is SIGKILLed mid-run and the
// follower takes over.
import { createClient } from '@tributary/client';
import { runStateFromProto } from '@tributary/proto';
import { afterAll, expect, it } from 'vitest';
import { freePort, stopAll } from '../harness/index.js';
import { writeLoadDag } from './load-dag.js';
import { type Scenario, startScenario, untilSucceeded } from './scenario.js';

const WORKER = { concurrency: 8 };
const LEASE_TTL_MS = 2_000;

let scenario: Scenario | undefined;
afterAll(async () => {
  await scenario?.close();
  await stopAll();
});

it('hands over to the other coordinator when the leader is SIGKILLed, and the run ends sound', async () => {
  scenario = await startScenario('coordinator-failover', {
    workers: [WORKER, WORKER],
    dag: { chains: 40, length: 50, taskMs: 20 },
    coordinatorEnv: { TRIBUTARY_LEASE_TTL_MS: String(LEASE_TTL_MS) },
  });
  const { cluster } = scenario;
  const followerAddress = `127.0.0.1:${await freePort()}`;
  const follower = await cluster.startCoordinator(followerAddress);
  // One log line with both fields, in whatever order the logger writes them.
  expect(follower.output()).toMatch(/^(?=.*"msg":"coordinator started")(?=.*"leader":false).*$/m);
  const viaFollower = createClient({ address: followerAddress });
  try {
    // A follower serves reads itself and forwards writes, and WatchRun, to the leader.
    const tiny = await writeLoadDag('failover-tiny', { chains: 1, length: 2, taskMs: 10 });
    await viaFollower.deployDagFolder(tiny.dir);
    const { run } = await viaFollower.triggerRun({ dag: tiny.name });
    let finished: string | undefined;
    for await (const message of viaFollower.watchRun(run!.id)) {
      if (message.event.case === 'finished') finished = runStateFromProto(message.event.value.state);
    }
    expect(finished).toBe('succeeded');

    await untilSucceeded(scenario, 500);
    const killedAt = Date.now();
    await cluster.coordinator.kill();
    await follower.waitForOutput(/elected leader/, 15_000);
    const handoverMs = Date.now() - killedAt;
    const audit = await scenario.finish({ leaderKills: 1, handoverMs });
    expect(audit.violations).toEqual([]);
    expect(audit.runState).toBe('succeeded');
    // Within a few seconds: the lease's time to live, plus a renewal interval.
    expect(handoverMs).toBeLessThan(LEASE_TTL_MS + 3_000);
    // The new leader takes writes.
    const after = await viaFollower.triggerRun({ dag: tiny.name });
    expect(after.created).toBe(true);
  } finally {
    viaFollower.close();
  }
}, 180_000);

it('fences off a leader that was paused past its lease: it stands down when it comes back', async () => {
  await scenario?.close();
  scenario = await startScenario('coordinator-paused-leader', {
    workers: [WORKER, WORKER],
    dag: { chains: 40, length: 50, taskMs: 20 },
    coordinatorEnv: { TRIBUTARY_LEASE_TTL_MS: String(LEASE_TTL_MS) },
  });
  const { cluster } = scenario;
  const leader = cluster.coordinator;
  const follower = await cluster.startCoordinator(`127.0.0.1:${await freePort()}`);
  await untilSucceeded(scenario, 500);
  leader.signal('SIGSTOP');
  await follower.waitForOutput(/elected leader/, 15_000);
  leader.signal('SIGCONT');
  // Back, it finds the lease taken at a newer epoch: it stops leading, and none of its writes counted.
  await leader.waitForOutput(/no longer the leader/, 15_000);
  const audit = await scenario.finish({ leaderPauses: 1 });
  expect(audit.violations).toEqual([]);
  expect(audit.runState).toBe('succeeded');
}, 180_000);
