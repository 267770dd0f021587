import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

// The last line of defence for a test process that dies without stopAll(): vitest kills workers on a
// timeout or Ctrl-C without running 'exit' listeners (seen with vitest 4 forks), and an orphaned postgres
// or nats-server would then run forever. A detached reaper process (reaper.mjs) is told what we start and
// cleans up when our end of its stdin closes, however we die.
let reaper: Socket | undefined;

function tell(line: string): void {
  if (reaper === undefined) {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./reaper.mjs', import.meta.url))], {
      // Detached: a Ctrl-C to our process group must not stop the reaper before it has cleaned up.
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.unref();
    reaper = child.stdin as Socket;
    // Neither the pipe nor the reaper may keep this process alive.
    reaper.unref();
    reaper.on('error', () => {
      // The reaper is gone (killed by someone): cleanup falls back to stopAll() alone.
    });
  }
  reaper.write(`${line}\n`);
}

/** Kills `pid` if this process dies before calling {@link forgetPid}. */
export function rememberPid(pid: number): void {
  tell(`+pid ${pid}`);
}

/** The process has exited or was stopped: nothing to clean up. */
export function forgetPid(pid: number): void {
  tell(`-pid ${pid}`);
}

/** Deletes `dir` (and kills processes working in it) if this process dies before {@link forgetDir}. */
export function rememberDir(dir: string): void {
  tell(`+dir ${dir}`);
}

/** The directory was removed: nothing to clean up. */
export function forgetDir(dir: string): void {
  tell(`-dir ${dir}`);
}
