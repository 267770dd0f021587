import { beforeEach } from 'vitest';
import { outputTail, spawnedProcesses } from './child-process.js';

// Output is kept in memory so passing tests stay quiet; when a test fails, print what every process of
// this test file wrote (servers included), since that is usually where the reason is. Importing the
// harness registers this for every test of the importing file.
beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    for (const handle of spawnedProcesses()) {
      const state =
        handle.exitStatus === undefined ? 'running' : `exited ${JSON.stringify(handle.exitStatus)}`;
      console.error(`--- output of ${handle.name} (pid ${handle.pid}, ${state}) ---\n${outputTail(handle)}`);
    }
  });
});
