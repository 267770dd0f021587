import { type AttemptEnding, createLogSink, createResultFinisher, type LogSink } from './log-sink.js';
import { stopResult } from './stopper.js';
import type { ExecuteOptions, ExecutionResult } from './types.js';

/** What every executor sets up before it runs an attempt. */
export interface AttemptStart {
  logs: LogSink;
  /** Completes a result with the attempt's times and log tail. */
  finish: (ending: AttemptEnding, at?: number) => ExecutionResult;
  /** The result to return at once when the attempt was cancelled before it began; undefined otherwise. */
  cancelledBeforeStart: ExecutionResult | undefined;
}

/**
 * Starts an attempt's clock, log sink and finisher, and notices a cancel that came first. `masked`: the
 * values the sink and the finisher replace with `***` (see `AttemptSecrets`).
 */
export function startAttempt(
  taskId: string,
  timeoutMs: number | null,
  logTailLines: number,
  options: ExecuteOptions,
  masked: readonly string[] = [],
): AttemptStart {
  const logs = createLogSink(logTailLines, options.onLog, masked);
  const finish = createResultFinisher(logs, Date.now());
  const cancelledBeforeStart = options.signal?.aborted
    ? finish(stopResult('cancel', taskId, timeoutMs))
    : undefined;
  return { logs, finish, cancelledBeforeStart };
}

/** The attempts an executor runs now, so that `close()` can kill them and wait for them to end. */
export class InFlightAttempts {
  readonly #attempts = new Map<{ kill(): void }, Promise<unknown>>();

  add(stopper: { kill(): void }, done: Promise<unknown>): void {
    this.#attempts.set(stopper, done);
  }

  delete(stopper: { kill(): void }): void {
    this.#attempts.delete(stopper);
  }

  /** Kills every attempt still running and waits for all of them to end. */
  async killAll(): Promise<void> {
    for (const stopper of this.#attempts.keys()) stopper.kill();
    await Promise.allSettled(this.#attempts.values());
  }
}
