/** Sends a signal to every process in a group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    // ESRCH: every member has exited. EPERM cannot happen for our own children's group.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Whether any process of the group is still there (zombies awaiting their reaper count). */
export function groupExists(pgid: number): boolean {
  return signalGroup(pgid, 0);
}
