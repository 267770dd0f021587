// No-op node tasks through the executor alone, 32 at a time, and prints one line: the rate and this
// process's CPU per task. Started as its own plain node process by floors.ts: under tsx, the task
// threads would inherit tsx's loader as well as the executor's own.
//
//   node bench/executor-floor.mjs <threads> <bundle folder with noop.mjs>
import { createExecutor } from '@tributary/executors';
import { taskDefaults } from '@tributary/spec';

const TASKS = 10_000;
const IN_FLIGHT = 32;

const [threadsText, bundleDir] = process.argv.slice(2);
if (threadsText === undefined || bundleDir === undefined) {
  throw new Error('usage: node bench/executor-floor.mjs <threads> <bundle folder>');
}
const threads = Number(threadsText);
const executor = createExecutor({ maxThreads: threads });
const task = {
  ...taskDefaults(),
  id: 'noop',
  kind: 'node',
  module: './noop.mjs',
  export: 'run',
  pool: 'default',
  needs: [],
  env: {},
};

/** Runs `count` no-op tasks with IN_FLIGHT outstanding. */
async function runBatch(count) {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const taskId = `t${next++}`;
      const request = { runId: 'floor', taskId, attempt: 1, task, bundleDir, params: {}, inputs: {} };
      const result = await executor.execute({ ...request, logicalDate: Date.now() }, {});
      if (result.outcome !== 'succeeded') {
        throw new Error(`no-op task ${taskId} ${result.outcome}: ${result.error?.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

try {
  await runBatch(2 * IN_FLIGHT); // Threads start on demand: start them all first.
  const cpu = process.cpuUsage();
  const from = performance.now();
  await runBatch(TASKS);
  const seconds = (performance.now() - from) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuUs = (used.user + used.system) / TASKS;
  console.log(
    `node executor, ${threads} threads: ${Math.round(TASKS / seconds)} no-op tasks/s, ${Math.round(cpuUs)} µs CPU per task`,
  );
} finally {
  await executor.close();
}
