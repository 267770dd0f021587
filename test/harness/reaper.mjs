// The harness's reaper: a tiny process that outlives a test process which dies without cleaning up
// (vitest kills its workers on timeout or Ctrl-C, and 'exit' listeners do not run then). The test process
// writes what it starts to our stdin, one line each; when stdin ends, the test process is gone, and we
// SIGKILL what is still listed and delete the listed directories.
//   +pid <n>   -pid <n>   +dir <path>   -dir <path>
// Plain JavaScript so that it runs with bare `node`, without a TypeScript loader.
import { readdirSync, readlinkSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';

const pids = new Set();
const dirs = new Set();

function kill(pid) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

// Postgres backends live in their own sessions but keep the data directory as their working directory.
function processesIn(dir) {
  let entries = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries.filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      return readlinkSync(`/proc/${entry}/cwd`) === dir;
    } catch {
      return false;
    }
  });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [op, ...rest] = line.split(' ');
  const value = rest.join(' ');
  if (op === '+pid') pids.add(Number(value));
  else if (op === '-pid') pids.delete(Number(value));
  else if (op === '+dir') dirs.add(value);
  else if (op === '-dir') dirs.delete(value);
});
lines.on('close', () => {
  for (const pid of pids) kill(pid);
  for (const dir of dirs) {
    for (const pid of processesIn(dir)) kill(Number(pid));
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
  process.exit(0);
});
