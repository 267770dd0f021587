import { join } from 'node:path';
import { spawnProcess } from '../test/harness/child-process.js';
import { chainHops, type TaskTimes } from './hops.js';
import { type Measurement, WorkloadTimeout } from './measure.js';

const LOCAL_RUN = join(import.meta.dirname, 'local-run.mjs');

/** What a local-runner workload runs. */
export interface LocalWorkload {
  dir: string;
  tasks: number;
  /** The length of the chain, for chain workloads: hop latencies are read then. */
  chainLength?: number;
}

interface LocalRunOutput {
  state: string;
  seconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  times?: Record<string, TaskTimes>;
}

/**
 * Runs a DAG with the local runner in a fresh process with `concurrency` slots (the cluster's total).
 * @throws WorkloadTimeout after `timeoutMs`; Error with its output when the process fails.
 */
export async function measureLocal(
  workload: LocalWorkload,
  concurrency: number,
  timeoutMs: number,
): Promise<Measurement> {
  const args = [LOCAL_RUN, workload.dir, String(concurrency)];
  if (workload.chainLength !== undefined) args.push('--times');
  const child = spawnProcess(process.execPath, args, { name: 'local runner' });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([child.exited, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    await child.kill();
    throw new WorkloadTimeout('the local run had not finished', timeoutMs);
  }
  const lastLine = child.output().trim().split('\n').at(-1) ?? '';
  if (outcome.code !== 0 || !lastLine.startsWith('{')) {
    throw new Error(`the local runner failed (exit ${outcome.code}):\n${child.output().slice(-4000)}`);
  }
  const result = JSON.parse(lastLine) as LocalRunOutput;
  const measurement: Measurement = {
    seconds: result.seconds,
    tasks: workload.tasks,
    runs: 1,
    failedRuns: result.state === 'succeeded' ? 0 : 1,
    workerPeakRssMiB: result.peakRssMiB,
    workerCpuPer1kTasks: (result.cpuSeconds * 1000) / workload.tasks,
  };
  if (workload.chainLength !== undefined && result.times !== undefined) {
    measurement.hops = chainHops(new Map(Object.entries(result.times)), workload.chainLength, result.seconds);
  }
  return measurement;
}
