import { readFile } from 'node:fs/promises';

// /proc/<pid>/stat counts CPU time in clock ticks; Linux reports USER_HZ as 100 on every common platform.
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a live process has used so far, from `/proc/<pid>/stat`. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, so 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** The peak resident set size (VmHWM) of a live process, in MiB, from `/proc/<pid>/status`. */
export async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  if (kib === undefined) throw new Error(`/proc/${pid}/status has no VmHWM line`);
  return Number(kib) / 1024;
}
