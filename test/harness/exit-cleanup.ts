import { rmSync } from 'node:fs';

// A last line of defence for a test file that crashes or forgets `stopAll()`: when the test process exits,
// SIGKILL every server and child it started and delete every temp dir, so nothing outlives the run.
// 'exit' listeners must be synchronous, hence process.kill and rmSync.
const pids = new Set<number>();
const dirs = new Set<string>();
let installed = false;

function cleanUpNow(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', cleanUpNow);
}

/** Kills `pid` when the test process exits, unless {@link forgetPid} is called first. */
export function rememberPid(pid: number): void {
  install();
  pids.add(pid);
}

/** The process has exited by itself or was stopped: nothing to clean up at exit. */
export function forgetPid(pid: number): void {
  pids.delete(pid);
}

/** Deletes `dir` when the test process exits, unless {@link forgetDir} is called first. */
export function rememberDir(dir: string): void {
  install();
  dirs.add(dir);
}

/** The directory was removed: nothing to clean up at exit. */
export function forgetDir(dir: string): void {
  dirs.delete(dir);
}
