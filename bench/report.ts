import type { MachineInfo } from './environment.js';
import type { Measurement } from './measure.js';
import type { BenchOptions } from './options.js';
import { type Spread, spread } from './stats.js';

/** Every repetition of one workload, and their spread. */
export interface WorkloadReport {
  id: string;
  title: string;
  repetitions: Measurement[];
  /** Why repetitions failed (timeouts, crashes), in order. */
  errors: string[];
  summary: Record<string, Spread>;
}

/** The figures summarised per workload, with their table headings. */
const FIGURES: ReadonlyArray<[key: string, heading: string, read: (m: Measurement) => number | undefined]> = [
  ['failedRuns', 'failed runs', (m) => m.failedRuns],
  ['seconds', 'time s', (m) => m.seconds],
  ['tasksPerSecond', 'tasks/s', (m) => m.tasks / m.seconds],
  ['runsPerSecond', 'runs/s', (m) => (m.runs > 1 ? m.runs / m.seconds : undefined)],
  ['perHopMs', 'hop ms (total/n)', (m) => m.hops?.perHopMs],
  ['hopMedianMs', 'hop median ms', (m) => m.hops?.medianMs],
  ['hopP99Ms', 'hop p99 ms', (m) => m.hops?.p99Ms],
  ['taskMedianMs', 'task start→finish ms', (m) => m.hops?.taskMedianMs],
  ['hopToQueuedMedianMs', 'finish→queued ms', (m) => m.hops?.toQueuedMedianMs],
  ['hopToStartedMedianMs', 'queued→start ms', (m) => m.hops?.toStartedMedianMs],
  ['coordinatorPeakRssMiB', 'coord RSS MiB', (m) => m.coordinatorPeakRssMiB],
  ['workerPeakRssMiB', 'worker RSS MiB', (m) => m.workerPeakRssMiB],
  ['coordinatorCpuPer1kTasks', 'coord CPU s/1k', (m) => m.coordinatorCpuPer1kTasks],
  ['workerCpuPer1kTasks', 'worker CPU s/1k', (m) => m.workerCpuPer1kTasks],
  ['statementsPerTask', 'stmts/task', (m) => m.statementsPerTask],
  ['writeTransactionsPerTask', 'write xacts/task', (m) => m.writeTransactionsPerTask],
  ['natsInPerTask', 'NATS in/task', (m) => m.natsInPerTask],
  ['natsOutPerTask', 'NATS out/task', (m) => m.natsOutPerTask],
];

/** Summarises the repetitions of one workload. */
export function summarise(
  id: string,
  title: string,
  repetitions: Measurement[],
  errors: string[],
): WorkloadReport {
  const summary: Record<string, Spread> = {};
  for (const [key, , read] of FIGURES) {
    const figure = spread(repetitions.map(read));
    if (figure !== undefined) summary[key] = figure;
  }
  return { id, title, repetitions, errors, summary };
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function formatSpread(figure: Spread | undefined): string {
  if (figure === undefined) return '';
  if (figure.min === figure.max) return formatNumber(figure.median);
  return `${formatNumber(figure.median)} (${formatNumber(figure.min)}–${formatNumber(figure.max)})`;
}

/**
 * A markdown table (workloads as rows, the figures any of them has as columns), each cell the median
 * with min–max of the repetitions.
 */
export function markdownTable(reports: readonly WorkloadReport[], keys: readonly string[]): string {
  const columns = FIGURES.filter(([key]) => keys.includes(key) && reports.some((r) => r.summary[key]));
  const header = ['workload', 'reps done', ...columns.map(([, heading]) => heading)];
  const rows = reports.map((report) => [
    `${report.id}: ${report.title}`,
    `${report.repetitions.length}/${report.repetitions.length + report.errors.length}`,
    ...columns.map(([key]) => formatSpread(report.summary[key])),
  ]);
  const lines = [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
  return lines.join('\n');
}

/** The speed figures: time, throughput, hops. */
export const SPEED_KEYS = [
  'failedRuns',
  'seconds',
  'tasksPerSecond',
  'runsPerSecond',
  'perHopMs',
  'hopMedianMs',
  'hopP99Ms',
  'taskMedianMs',
  'hopToQueuedMedianMs',
  'hopToStartedMedianMs',
];
/** The cost figures: memory, CPU, statements, transactions, messages. */
export const COST_KEYS = [
  'coordinatorPeakRssMiB',
  'workerPeakRssMiB',
  'coordinatorCpuPer1kTasks',
  'workerCpuPer1kTasks',
  'statementsPerTask',
  'writeTransactionsPerTask',
  'natsInPerTask',
  'natsOutPerTask',
];

/** Everything written to the JSON file. */
export interface BenchResults {
  finishedAt: string;
  machine: MachineInfo;
  options: BenchOptions;
  /** Whether statements were counted (pg_stat_statements present). */
  statementStats: boolean;
  workloads: WorkloadReport[];
}

/** The text printed at the end: the machine, the settings, and both tables. */
export function textReport(results: BenchResults): string {
  const { machine, options } = results;
  return [
    `Machine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, Postgres ${machine.postgres} (fsync on), ${machine.nats}`,
    `Settings: ${options.workers} workers × concurrency ${options.concurrency} (local runner: concurrency ${options.workers * options.concurrency}), scale ${options.scale}, median of ${options.repeat} (min–max)`,
    '',
    markdownTable(results.workloads, SPEED_KEYS),
    '',
    markdownTable(results.workloads, COST_KEYS),
    ...results.workloads.flatMap((r) => r.errors.map((error) => `${r.id}: ${error}`)),
    ...results.workloads.flatMap((r) =>
      r.repetitions.flatMap((m, i) =>
        (m.failures ?? []).map((failure) => `${r.id} #${i + 1} failed: ${failure}`),
      ),
    ),
  ].join('\n');
}
