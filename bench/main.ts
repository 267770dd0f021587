// `npm run bench`: the benchmark of issue 6 (docs/performance.md). Starts its own Postgres and
// nats-server, runs each workload on a fresh coordinator and workers (and the local runner), prints
// medians with min–max and writes the figures as JSON.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { stopAll } from '../test/harness/registry.js';
import { writeIndependentDag } from './dags.js';
import { startBenchEnvironment } from './environment.js';
import { measureLocal } from './local-measure.js';
import { type Measurement, measureDistributed } from './measure.js';
import { parseBenchOptions } from './options.js';
import { type BenchResults, summarise, textReport, type WorkloadReport } from './report.js';
import { buildWorkload, type Workload } from './workloads.js';

const REPO_ROOT = join(import.meta.dirname, '..');

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  const root = await mkdtemp(join(tmpdir(), 'tributary-bench-'));
  const env = await startBenchEnvironment();
  if (!env.statementStats) console.warn('pg_stat_statements is not installed: statements are not counted');
  const shape = { workers: options.workers, concurrency: options.concurrency };
  const timeoutMs = options.timeoutSeconds * 1000;
  const reports: WorkloadReport[] = [];
  const warmUpTasks = 2 * options.workers * options.concurrency;
  const warmUp = { dir: await writeIndependentDag(root, 'warmup', warmUpTasks), dag: 'warmup' };
  try {
    for (const id of options.only) {
      const workload = await buildWorkload(id, root, options.scale);
      const repetitions: Measurement[] = [];
      const errors: string[] = [];
      for (let i = 1; i <= options.repeat; i++) {
        try {
          const measured = await runOnce(workload, i);
          repetitions.push(measured);
          const rate = Math.round(measured.tasks / measured.seconds);
          const failed = measured.failedRuns === 0 ? '' : `, ${measured.failedRuns} runs FAILED`;
          console.log(
            `${id} #${i}: ${measured.tasks} tasks in ${measured.seconds.toFixed(3)} s (${rate}/s)${failed}`,
          );
        } catch (error) {
          errors.push(`#${i}: ${(error as Error).message.split('\n')[0]}`);
          console.log(`${id} #${i}: ${(error as Error).message}`);
        }
      }
      reports.push(summarise(id, workload.title, repetitions, errors));
    }
  } finally {
    await stopAll();
    await rm(root, { recursive: true, force: true });
  }
  const results: BenchResults = {
    finishedAt: new Date().toISOString(),
    machine: env.machine,
    options,
    statementStats: env.statementStats,
    workloads: reports,
  };
  const out = resolve(REPO_ROOT, options.out);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${textReport(results)}\n\nJSON: ${out}`);

  function runOnce(workload: Workload, repetition: number): Promise<Measurement> {
    if (workload.kind === 'distributed') {
      const cpuProfDir = options.cpuProfDir && resolve(options.cpuProfDir, `${workload.id}-${repetition}`);
      const profiled = cpuProfDir ? { ...shape, cpuProfDir } : shape;
      return measureDistributed(env, profiled, workload.driver, warmUp, timeoutMs);
    }
    return measureLocal(workload, options.workers * options.concurrency, timeoutMs);
  }
}

await main();
