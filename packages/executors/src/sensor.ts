import { trace } from '@opentelemetry/api';
import { type Failure, formatDuration } from '@tributary/core';
import type { SensorModel } from '@tributary/spec';
import { stopResult } from './stopper.js';
import type { ExecuteOptions, ExecutionResult, LogLine } from './types.js';

/**
 * One poke: one run of the sensor's code by its kind's executor, ending `rescheduled` when the
 * condition does not hold yet (a node sensor returned `false`, a shell sensor exited 100).
 */
export type Poke = (options: ExecuteOptions) => Promise<ExecutionResult>;

export interface SensorRunOptions {
  taskId: string;
  sensor: SensorModel;
  /** The caller's cancel signal. */
  signal?: AbortSignal | undefined;
  /** Aborted when the executor closes: a sensor waiting between pokes ends `cancelled` (retryable). */
  closeSignal: AbortSignal;
  onLog?: ((line: LogLine) => void) | undefined;
  /** How many log lines the result keeps, counted over all pokes. */
  logTailLines: number;
}

/**
 * Runs one attempt of a sensor.
 *
 * - `reschedule` mode: exactly one poke; "not yet" is returned as `rescheduled`, and the caller
 *   handles the interval and the sensor timeout.
 * - `poke` mode: pokes until the condition holds, sleeping `intervalMs` between pokes, until
 *   `sensor.timeoutMs` has passed since the first poke started. The condition is checked once more
 *   at the deadline. Then the attempt fails with a `SensorTimeout`, or ends `skipped` with
 *   `softFail`. The sensor timeout is checked between pokes and does not stop a running poke: each
 *   poke is bounded by the task's own `timeoutMs`, whose expiry ends the attempt `timed_out`.
 *
 * Any other ending of a poke (succeeded, failed, skipped, timed out, cancelled) ends the attempt. A
 * cancel, or the executor closing, during the sleep ends it at once as `cancelled`.
 */
export async function runSensor(poke: Poke, options: SensorRunOptions): Promise<ExecutionResult> {
  const { sensor, signal, closeSignal } = options;
  if (sensor.mode === 'reschedule') return poke(pokeOptions(signal, options.onLog));
  const tail = createTail(options.logTailLines);
  const onLog = (line: LogLine): void => {
    tail.push(line.line);
    options.onLog?.(line);
  };
  let startedAt: number | undefined;
  let pokes = 0;
  for (;;) {
    // A poke started after close() would outlive it: close() only stops the pokes already running.
    if (closeSignal.aborted) return stopped('close', options.taskId, startedAt, tail.lines());
    const result = await poke(pokeOptions(signal, onLog));
    startedAt ??= result.startedAt;
    pokes += 1;
    // Each poke shows in the attempt's trace (the worker runs the attempt inside its span).
    trace.getActiveSpan()?.addEvent('sensor poke', {
      'tributary.sensor.poke': pokes,
      'tributary.sensor.condition_met': result.outcome !== 'rescheduled',
    });
    if (result.outcome !== 'rescheduled') return { ...result, startedAt, logTail: tail.lines() };
    const remaining = startedAt + sensor.timeoutMs - Date.now();
    if (remaining <= 0) return timedOut(options, pokes, startedAt, tail.lines());
    const interrupted = await sleep(Math.min(sensor.intervalMs, remaining), [signal, closeSignal]);
    if (interrupted) {
      const reason = closeSignal.aborted ? 'close' : 'cancel';
      return stopped(reason, options.taskId, startedAt, tail.lines());
    }
  }
}

/**
 * The failure of a sensor whose condition did not hold within its sensor timeout (type
 * `SensorTimeout`, not retryable: another attempt would wait all over again).
 */
export function sensorTimeoutFailure(taskId: string, timeoutMs: number, pokes?: number): Failure {
  const details: Record<string, unknown> = { timeoutMs };
  if (pokes !== undefined) details.pokes = pokes;
  return {
    type: 'SensorTimeout',
    message: `task '${taskId}': the sensor's condition did not hold within ${formatDuration(timeoutMs)} (sensor timeout ${timeoutMs} ms)`,
    retryable: false,
    details,
  };
}

function timedOut(
  options: SensorRunOptions,
  pokes: number,
  startedAt: number,
  logTail: string[],
): ExecutionResult {
  const error = sensorTimeoutFailure(options.taskId, options.sensor.timeoutMs, pokes);
  const outcome = options.sensor.softFail ? 'skipped' : 'failed';
  return { outcome, error, startedAt, finishedAt: Date.now(), logTail };
}

function stopped(
  reason: 'cancel' | 'close',
  taskId: string,
  startedAt: number | undefined,
  logTail: string[],
): ExecutionResult {
  const now = Date.now();
  return { ...stopResult(reason, taskId, null), startedAt: startedAt ?? now, finishedAt: now, logTail };
}

function pokeOptions(
  signal: AbortSignal | undefined,
  onLog: ((line: LogLine) => void) | undefined,
): ExecuteOptions {
  const options: ExecuteOptions = {};
  if (signal !== undefined) options.signal = signal;
  if (onLog !== undefined) options.onLog = onLog;
  return options;
}

/** Waits `ms`; resolves true as soon as one of the signals aborts (at once if one already has). */
function sleep(ms: number, signals: (AbortSignal | undefined)[]): Promise<boolean> {
  const watched = signals.filter((signal) => signal !== undefined);
  if (watched.some((signal) => signal.aborted)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const end = (interrupted: boolean): void => {
      clearTimeout(timer);
      for (const signal of watched) signal.removeEventListener('abort', onAbort);
      resolve(interrupted);
    };
    const onAbort = (): void => end(true);
    const timer = setTimeout(() => end(false), ms);
    for (const signal of watched) signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The last `size` lines over all pokes (each poke's own result keeps only its own). */
function createTail(size: number): { push(line: string): void; lines(): string[] } {
  const kept: string[] = [];
  return {
    push(line) {
      if (size === 0) return;
      kept.push(line);
      if (kept.length > size) kept.shift();
    },
    lines: () => [...kept],
  };
}
