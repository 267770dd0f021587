import { readdir, readFile, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from './wait-for.js';

// Postgres backends call setsid(), so they are not in the postmaster's process group, and they outlive a
// SIGKILLed postmaster for a moment while still attached to its shared memory, which makes the next
// postmaster refuse to start. Every one of them has the data directory as its working directory, which is
// how they are found here (Linux /proc; elsewhere there is nothing to find and this is a no-op).

async function clusterPids(dataDir: string): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    // Fails for processes that are gone, zombies and other users' processes (when not root): none of
    // those can hold the cluster's shared memory, or we could not signal them anyway.
    const cwd = await readlink(join('/proc', entry, 'cwd')).catch(() => undefined);
    if (cwd === dataDir) pids.push(Number(entry));
  }
  return pids;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGKILLs every process still working in `dataDir` and waits until none is left. */
export async function killClusterProcesses(dataDir: string): Promise<void> {
  await waitFor(
    async () => {
      const pids = await clusterPids(dataDir);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Exited meanwhile.
        }
      }
      return pids.length === 0;
    },
    { timeoutMs: 10_000, description: `the Postgres processes of ${dataDir} to exit` },
  );
}

/**
 * Removes `postmaster.pid` left by a killed server. It is kept if its process is alive and works in this
 * data directory (a running server); a live pid that belongs to an unrelated process was reused by the OS.
 * @throws Error when a server is still running in `dataDir`.
 */
export async function removeStalePidFile(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  const content = await readFile(pidFile, 'utf8').catch(() => undefined);
  if (content === undefined) return;
  const pid = Number(content.split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => dataDir);
    if (cwd === dataDir) throw new Error(`A Postgres server (pid ${pid}) is still running in ${dataDir}`);
  }
  await rm(pidFile, { force: true });
}
