import type { TributaryClient } from '@tributary/client';
import {
  MIXED_DAG_TASKS,
  writeChainDag,
  writeFanDag,
  writeIndependentDag,
  writeMapDag,
  writeMixedDag,
} from './dags.js';
import { attemptTimes, chainHops } from './hops.js';
import type { DistributedDriver } from './measure.js';
import type { WorkloadId } from './options.js';

/** The sizes, at scale 1. */
export const FULL_SIZE = {
  independentTasks: 20_000,
  singleTaskRuns: 20_000,
  triggersInFlight: 32,
  chainLength: 300,
  fanWidth: 2_000,
  mixedRuns: 50,
} as const;

/** A workload, ready to run: either on a cluster or through the local runner. */
export type Workload =
  | { id: WorkloadId; title: string; kind: 'distributed'; driver: DistributedDriver }
  | { id: WorkloadId; title: string; kind: 'local'; dir: string; tasks: number; chainLength?: number };

/** Triggers `runs` runs of `dag` with at most `inFlight` trigger calls outstanding. */
async function triggerMany(client: TributaryClient, dag: string, runs: number, inFlight: number) {
  let next = 0;
  const lane = async () => {
    while (next < runs) {
      next++;
      await client.triggerRun({ dag });
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, runs) }, lane));
}

function oneRun(dir: string, dag: string, tasks: number): DistributedDriver {
  return {
    dag,
    runs: 1,
    tasks,
    prepare: async (cluster) => void (await cluster.client.deployDagFolder(dir)),
    trigger: async (cluster) => void (await cluster.client.triggerRun({ dag })),
  };
}

const scaled = (n: number, scale: number, least = 1) => Math.max(least, Math.round(n * scale));

/**
 * Writes the DAG folders of workload `id` under `root` at `scale` and returns the workload.
 */
export async function buildWorkload(id: WorkloadId, root: string, scale: number): Promise<Workload> {
  const independent = scaled(FULL_SIZE.independentTasks, scale);
  const chain = scaled(FULL_SIZE.chainLength, scale, 2);
  const fan = scaled(FULL_SIZE.fanWidth, scale);
  switch (id) {
    case 'W1a': {
      const dir = await writeIndependentDag(root, 'w1a', independent);
      return {
        id,
        title: `1 run × ${independent} independent tasks`,
        kind: 'distributed',
        driver: oneRun(dir, 'w1a', independent),
      };
    }
    case 'W1b': {
      const runs = scaled(FULL_SIZE.singleTaskRuns, scale);
      const dir = await writeIndependentDag(root, 'w1b', 1);
      const driver: DistributedDriver = {
        dag: 'w1b',
        runs,
        tasks: runs,
        prepare: async (cluster) => void (await cluster.client.deployDagFolder(dir)),
        trigger: (cluster) => triggerMany(cluster.client, 'w1b', runs, FULL_SIZE.triggersInFlight),
      };
      return {
        id,
        title: `${runs} runs × 1 task, ${FULL_SIZE.triggersInFlight} triggers in flight`,
        kind: 'distributed',
        driver,
      };
    }
    case 'W2': {
      const dir = await writeChainDag(root, 'w2', chain);
      const driver: DistributedDriver = {
        ...oneRun(dir, 'w2', chain),
        hops: async (cluster, seconds) => chainHops(await attemptTimes(cluster.sql, 'w2'), chain, seconds),
      };
      return { id, title: `chain of ${chain}`, kind: 'distributed', driver };
    }
    case 'W3fan': {
      const dir = await writeFanDag(root, 'w3fan', fan);
      return {
        id,
        title: `fan-out/fan-in 1 → ${fan} → 1`,
        kind: 'distributed',
        driver: oneRun(dir, 'w3fan', fan + 2),
      };
    }
    case 'W3map': {
      const dir = await writeMapDag(root, 'w3map', fan);
      return {
        id,
        title: `map over ${fan} items (1 → ${fan} → 1)`,
        kind: 'distributed',
        driver: oneRun(dir, 'w3map', fan + 2),
      };
    }
    case 'W4': {
      const runs = scaled(FULL_SIZE.mixedRuns, scale);
      const dir = await writeMixedDag(root, 'w4');
      const driver: DistributedDriver = {
        dag: 'w4',
        runs,
        tasks: runs * MIXED_DAG_TASKS,
        prepare: async (cluster) => void (await cluster.client.deployDagFolder(dir)),
        trigger: (cluster) => triggerMany(cluster.client, 'w4', runs, runs),
      };
      return {
        id,
        title: `${runs} concurrent runs × ${MIXED_DAG_TASKS} tasks (4 shell)`,
        kind: 'distributed',
        driver,
      };
    }
    case 'W1a-local': {
      const dir = await writeIndependentDag(root, 'w1a_local', independent);
      return {
        id,
        title: `local: 1 run × ${independent} independent tasks`,
        kind: 'local',
        dir,
        tasks: independent,
      };
    }
    case 'W2-local': {
      const dir = await writeChainDag(root, 'w2_local', chain);
      return { id, title: `local: chain of ${chain}`, kind: 'local', dir, tasks: chain, chainLength: chain };
    }
    case 'W3fan-local': {
      const dir = await writeFanDag(root, 'w3fan_local', fan);
      return { id, title: `local: 1 → ${fan} → 1`, kind: 'local', dir, tasks: fan + 2 };
    }
  }
}
