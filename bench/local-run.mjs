// Runs one DAG folder through the local runner (the floor the distributed path chases) and prints one
// JSON line: the run's state and duration, this process's CPU seconds and peak RSS, and with --times
// each task's queued/running/succeeded times. Started as its own process by local-measure.ts, so the
// figures are the runner's alone.
//
//   node bench/local-run.mjs <dag folder> <concurrency> [--times]
import { readFileSync } from 'node:fs';
import { runDagLocally } from '@tributary/runner';

const [path, concurrencyText, timesFlag] = process.argv.slice(2);
if (path === undefined || concurrencyText === undefined) {
  throw new Error('usage: node bench/local-run.mjs <dag folder> <concurrency> [--times]');
}
const keepTimes = timesFlag === '--times';
/** @type {Record<string, { queued?: number, started?: number, finished?: number }>} */
const times = {};
const phase = { queued: 'queued', running: 'started', succeeded: 'finished' };

const cpuBefore = process.cpuUsage();
const summary = await runDagLocally({
  path,
  concurrency: Number(concurrencyText),
  onEvent: (event) => {
    if (!keepTimes || event.type !== 'task' || !(event.state in phase)) return;
    times[event.task] ??= {};
    times[event.task][phase[event.state]] = event.at;
  },
});
const cpu = process.cpuUsage(cpuBefore);
const peakKib = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
process.stdout.write(
  `${JSON.stringify({
    state: summary.run.state,
    seconds: (summary.run.finishedAt - summary.run.startedAt) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMiB: peakKib / 1024,
    ...(keepTimes ? { times } : {}),
  })}\n`,
);
