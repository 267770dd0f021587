import { parseArgs } from 'node:util';

/** Every workload the benchmark knows, in the order it runs them. */
export const WORKLOAD_IDS = [
  'W1a',
  'W1b',
  'W2',
  'W3fan',
  'W3map',
  'W4',
  'W1a-local',
  'W2-local',
  'W3fan-local',
] as const;

/** One workload's id. */
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

/** What `npm run bench` was asked to do. */
export interface BenchOptions {
  /** How many times each workload runs; the table shows the median. @default 3 */
  repeat: number;
  /** Multiplies every workload's size (20,000 tasks at 1; at least 1 task, 2 for a chain). @default 1 */
  scale: number;
  /** Which workloads to run; a prefix selects every variant (`W2`: `W2` and `W2-local`). @default all */
  only: readonly WorkloadId[];
  /** Worker processes started for each distributed workload. @default 2 */
  workers: number;
  /** Task slots of each worker. @default 16 */
  concurrency: number;
  /** A workload (one repetition) taking longer than this is reported as a timeout. @default 600 */
  timeoutSeconds: number;
  /** Where the JSON results are written. @default bench/results/latest.json */
  out: string;
  /**
   * Profile coordinators and workers with `--cpu-prof` into `<dir>/<workload>-<n>/<process>/`: whole
   * process lives, warm-up included. @default no profiling
   */
  cpuProfDir?: string;
}

const USAGE = `npm run bench -- [--repeat N] [--scale F] [--only W1a,W2,...] [--workers N]
                    [--concurrency N] [--timeout SECONDS] [--out FILE] [--cpu-prof DIR]
workloads: ${WORKLOAD_IDS.join(', ')} (a prefix such as W2 or W3 selects every variant)`;

function positive(name: string, text: string | undefined, fallback: number, integer: boolean): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(
      `--${name} must be a positive ${integer ? 'integer' : 'number'}, got '${text}'\n${USAGE}`,
    );
  }
  return value;
}

function selectWorkloads(text: string | undefined): WorkloadId[] {
  if (text === undefined) return [...WORKLOAD_IDS];
  const selected = new Set<WorkloadId>();
  for (const name of text.split(',').map((part) => part.trim())) {
    // A prefix selects every variant: W2 is W2 and W2-local, W3 is every W3 workload.
    const matches = WORKLOAD_IDS.filter((id) => id.startsWith(name));
    if (name === '' || matches.length === 0) throw new Error(`--only: unknown workload '${name}'\n${USAGE}`);
    for (const id of matches) selected.add(id);
  }
  return WORKLOAD_IDS.filter((id) => selected.has(id));
}

/**
 * Reads the benchmark's flags.
 * @throws Error naming the flag and showing the usage for an unknown flag or a bad value.
 */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        repeat: { type: 'string' },
        scale: { type: 'string' },
        only: { type: 'string' },
        workers: { type: 'string' },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
        out: { type: 'string' },
        'cpu-prof': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }) as { values: Record<string, string | undefined> });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${USAGE}`, { cause: error });
  }
  return {
    repeat: positive('repeat', values.repeat, 3, true),
    scale: positive('scale', values.scale, 1, false),
    only: selectWorkloads(values.only),
    workers: positive('workers', values.workers, 2, true),
    concurrency: positive('concurrency', values.concurrency, 16, true),
    timeoutSeconds: positive('timeout', values.timeout, 600, false),
    out: values.out ?? 'bench/results/latest.json',
    ...(values['cpu-prof'] === undefined ? {} : { cpuProfDir: values['cpu-prof'] }),
  };
}
