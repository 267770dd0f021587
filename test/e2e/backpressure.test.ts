import { join } from 'node:path';
import { runStateFromProto } from '@tributary/proto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stopAll } from '../harness/index.js';
import { type Cluster, REPO_ROOT, startCluster } from './cluster.js';

let cluster: Cluster;

beforeAll(async () => {
  // Three dispatches per tick at most: the fan-out of twelve must go out over several ticks.
  cluster = await startCluster({ workers: 1, coordinatorEnv: { TRIBUTARY_MAX_DISPATCHES_PER_TICK: '3' } });
  await cluster.client.deployDagFolder(join(REPO_ROOT, 'test', 'fixtures', 'dags', 'fanout'));
});

afterAll(async () => {
  cluster?.client.close();
  await stopAll();
});

it('spreads a burst of ready tasks over several bounded ticks, and runs every one', async () => {
  const { run } = await cluster.client.triggerRun({ dag: 'fanout' });
  let state: string | undefined;
  for await (const message of cluster.client.watchRun(run!.id)) {
    if (message.event.case === 'finished') state = runStateFromProto(message.event.value.state);
  }
  expect(state).toBe('succeeded');
  const ticks = cluster.coordinator
    .output()
    .split('\n')
    .filter((line) => line.includes('tick dispatch budget spent'))
    .map((line) => JSON.parse(line) as { dispatched: number });
  expect(ticks.length).toBeGreaterThan(0);
  for (const tick of ticks) expect(tick.dispatched).toBeLessThanOrEqual(3);
});
