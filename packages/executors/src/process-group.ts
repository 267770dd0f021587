import { readdirSync, readFileSync } from 'node:fs';

/** Sends a signal to every process in a group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    // ESRCH: every member has exited and been reaped.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Whether any process of the group is still there, zombies included. */
export function groupExists(pgid: number): boolean {
  return signalGroup(pgid, 0);
}

/** How often, and how long, {@link killGroup} checks that a killed group has stopped. */
const POLL_MS = 5;
const WAIT_MS = 1000;

/**
 * SIGKILLs whatever is left of a group and waits until none of it runs, so that when an attempt ends
 * none of its processes is still running: a dying process closes its pipes before it is done exiting,
 * so a closed stdout does not prove that. Zombies count as stopped: orphans are reaped by PID 1, which
 * may take its time (about a second in some containers). Bounded, in case something cannot die.
 */
export async function killGroup(pgid: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGKILL')) return;
  const deadline = Date.now() + WAIT_MS;
  while (groupRuns(pgid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Whether a member of the group is alive and not a zombie. Without /proc (macOS): whether it exists. */
function groupRuns(pgid: number): boolean {
  if (!groupExists(pgid)) return false;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  return pids.some((pid) => {
    const stat = readStat(pid);
    // Fields after the parenthesised command name: state, ppid, pgrp, ...
    const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields !== undefined && Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X';
  });
}

function readStat(pid: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // The process exited between listing and reading.
    return undefined;
  }
}
