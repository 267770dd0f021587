// Runs a node task and a shell task with the built package, closes the executor, and then must exit
// on its own: any thread, process, port or timer left behind keeps it alive (executor.test.ts).
import { createExecutor } from '../../dist/index.js';

const bundleDir = new URL('.', import.meta.url).pathname;
const base = {
  needs: [],
  retries: 0,
  retryDelayMs: 0,
  retryBackoff: 'fixed',
  maxRetryDelayMs: null,
  retryJitter: false,
  triggerRule: 'all_success',
  branch: false,
  sensor: null,
  timeoutMs: null,
  pool: 'default',
  env: {},
};
const shell = { kind: 'shell', skipExitCode: 99 };
const request = (task) => ({
  runId: 'run-1',
  taskId: task.id,
  attempt: 1,
  bundleDir,
  params: { n: 1 },
  inputs: {},
  logicalDate: 0,
  task,
});

const executor = createExecutor({ maxThreads: 2, killGraceMs: 100 });
const outcomes = await Promise.all([
  executor.execute(
    request({ ...base, id: 'node', kind: 'node', module: './plain-module.mjs', export: 'run' }),
  ),
  executor.execute(request({ ...base, ...shell, id: 'shell', command: 'echo 1' })),
  executor.execute(
    request({
      ...base,
      id: 'spin',
      kind: 'node',
      module: './node-tasks.ts',
      export: 'busyLoop',
      timeoutMs: 300,
    }),
  ),
]);
// Still running when close() is called: close must kill both, and end the sensor's wait between pokes.
const pending = [
  executor.execute(request({ ...base, ...shell, id: 'sleep', command: 'sleep 100 & wait' })),
  executor.execute(
    request({ ...base, id: 'wait', kind: 'node', module: './node-tasks.ts', export: 'waitsForAbort' }),
  ),
  executor.execute(
    request({
      ...base,
      ...shell,
      id: 'sense',
      command: 'exit 100',
      sensor: { mode: 'poke', intervalMs: 100_000, timeoutMs: 1_000_000, softFail: false },
    }),
  ),
];
await new Promise((resolve) => setTimeout(resolve, 300));
await executor.close();
const closed = await Promise.all(pending);
console.log(JSON.stringify([...outcomes, ...closed].map((result) => result.outcome)));
