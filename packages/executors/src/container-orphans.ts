import { connectContainerEngine, engineStatus } from './container-engine.js';

/** The labels every container of a task attempt carries. */
export const CONTAINER_LABELS = {
  run: 'tributary.run',
  task: 'tributary.task',
  attempt: 'tributary.attempt',
  /** The stable name of the worker that started it (`containerOwner`). */
  worker: 'tributary.worker',
  /** The pid of the worker process that started it: tells a live sibling worker's container from an orphan. */
  pid: 'tributary.pid',
} as const;

/** Options of {@link removeOrphanContainers}. */
export interface RemoveOrphansOptions {
  /** The engine's socket, as the executor's `containerSocket`. */
  socket: string;
  /** The `tributary.worker` label value: the executor's `containerOwner`. */
  owner: string;
  /** This process's pid. @default process.pid */
  pid?: number;
  /** Whether a process of this pid runs here. @default a signal-0 probe */
  isAlive?: (pid: number) => boolean;
}

/**
 * Removes (force: running ones are killed) the containers a crashed run of this worker left: those
 * labelled with its `owner` whose worker process is gone. A container labelled with this process's own
 * pid is an orphan too, since this process has started none yet: a worker restarted in a fresh pid
 * namespace (a container's pid 1) gets the same pid again. Containers of another live worker process
 * with the same owner (two workers on one host) are left alone. Returns the ids removed.
 */
export async function removeOrphanContainers(options: RemoveOrphansOptions): Promise<string[]> {
  const docker = connectContainerEngine(options.socket);
  const self = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? processExists;
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [`${CONTAINER_LABELS.worker}=${options.owner}`] },
  });
  const removed: string[] = [];
  for (const container of containers) {
    const pid = Number(container.Labels?.[CONTAINER_LABELS.pid]);
    if (Number.isSafeInteger(pid) && pid !== self && isAlive(pid)) continue;
    const handle = docker.getContainer(container.Id);
    try {
      // Killed first: a forced remove stops it with the engine's grace period (10 s), which an orphan
      // does not deserve; one that is not running refuses the kill, which is fine.
      await handle.kill({ signal: 'SIGKILL' }).catch(() => {});
      await handle.remove({ force: true, v: true });
      removed.push(container.Id);
    } catch (error) {
      // Gone already: removed by its own worker's cleanup, or by the engine (auto-remove).
      if (engineStatus(error) !== 404) throw error;
    }
  }
  return removed;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
