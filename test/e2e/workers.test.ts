import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Worker, workerStateFromProto } from '@tributary/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll, waitFor } from '../harness/index.js';
import { CLI, type Cluster, startCluster } from './cluster.js';

const exec = promisify(execFile);

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2 });
});

afterAll(async () => {
  cluster?.client.close();
  await stopAll();
});

/** The listed worker of a worker process: default worker ids are `<host>-<pid>-<random>`. */
function workerOfPid(workers: readonly Worker[], pid: number): Worker | undefined {
  return workers.find((worker) => worker.id.includes(`-${pid}-`));
}

describe('the worker registry', () => {
  it('lists live workers, shows one stopped after SIGTERM, and prints them with tributary workers --json', async () => {
    const [first, second] = cluster.workers;
    const live = await waitFor(
      async () => {
        const workers = await cluster.client.listWorkers();
        const both = [workerOfPid(workers, first!.pid), workerOfPid(workers, second!.pid)];
        return both.every((w) => w !== undefined && workerStateFromProto(w.state) === 'live') && workers;
      },
      { description: 'both workers to be listed as live', timeoutMs: 10_000 },
    );
    expect(live).toHaveLength(2);
    for (const worker of live) {
      expect(worker).toMatchObject({ pools: ['default'], concurrency: 4, running: [] });
      expect(worker.host).not.toBe('');
      expect(worker.version).not.toBe('');
      expect(worker.startedAt).toBeDefined();
    }
    expect((await cluster.client.listWorkers({ pool: 'no-such-pool' })).map((w) => w.id)).toEqual([]);

    expect(await second!.stop()).toBe(0);
    const stoppedId = workerOfPid(live, second!.pid)!.id;
    const liveId = workerOfPid(live, first!.pid)!.id;
    await waitFor(
      async () => {
        const stopped = workerOfPid(await cluster.client.listWorkers(), second!.pid);
        return stopped !== undefined && workerStateFromProto(stopped.state) === 'stopped';
      },
      { description: 'the worker stopped with SIGTERM to be listed as stopped', timeoutMs: 5_000 },
    );

    const { stdout } = await exec(process.execPath, [CLI, 'workers', '--json', '--server', cluster.address]);
    const printed = JSON.parse(stdout) as {
      workers: { id: string; state: string; [key: string]: unknown }[];
    };
    // Live workers come first.
    expect(printed.workers.map((w) => [w.id, w.state])).toEqual([
      [liveId, 'live'],
      [stoppedId, 'stopped'],
    ]);
    expect(printed.workers[0]).toMatchObject({
      pools: ['default'],
      concurrency: 4,
      running_count: 0,
      running: [],
    });
    expect(typeof printed.workers[0]!.last_heartbeat_at).toBe('string');
  });
});
