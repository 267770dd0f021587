import type { LogLevel } from '@tributary/sdk';
import { createSecretMasker, maskFailure, type SecretMasker } from './secret-mask.js';
import type { ExecutionResult, LogLine } from './types.js';

/**
 * Lines longer than this are cut in logs and the tail, so that one runaway line cannot bloat a result
 * message. A shell task's output line is read before this cut.
 */
export const MAX_LOG_LINE_CHARS = 16_384;

/**
 * Collects an attempt's log lines: masks the attempt's secrets in each, forwards it to `onLog` and keeps
 * the last few for the result.
 */
export interface LogSink {
  push(stream: LogLine['stream'], line: string, level?: LogLevel, at?: number): void;
  /** The kept lines, oldest first. */
  tail(): string[];
  /** Masks the attempt's secrets in other text about it (its error). */
  readonly masker: SecretMasker;
}

/**
 * A sink keeping the last `tailLines` lines. Every occurrence of a value of `secretValues` (the
 * attempt's secrets, its sql connection's password) in a line becomes `***` before the line reaches
 * `onLog` or the tail, so neither the live log, the shipped log nor the result holds it; see
 * `createSecretMasker` for what cannot be recognised (short values, a value split across lines).
 */
export function createLogSink(
  tailLines: number,
  onLog?: (line: LogLine) => void,
  secretValues: readonly string[] = [],
): LogSink {
  const kept: string[] = [];
  const masker = createSecretMasker(secretValues);
  return {
    masker,
    push(stream, raw, level, at = Date.now()) {
      // Masked before the cut, so that the cut cannot leave the first half of a secret behind.
      const masked = masker.mask(raw);
      const line =
        masked.length > MAX_LOG_LINE_CHARS
          ? `${masked.slice(0, MAX_LOG_LINE_CHARS)}… (${masked.length - MAX_LOG_LINE_CHARS} more characters)`
          : masked;
      if (tailLines > 0) {
        kept.push(line);
        if (kept.length > tailLines) kept.shift();
      }
      if (onLog === undefined) return;
      const entry: LogLine = level === undefined ? { stream, line, at } : { stream, line, at, level };
      try {
        onLog(entry);
      } catch {
        // A failing log consumer must not fail the task it is watching; the line stays in the tail.
      }
    },
    tail: () => [...kept],
  };
}

/** An attempt's result without what a finisher fills in. */
export type AttemptEnding = Omit<ExecutionResult, 'startedAt' | 'finishedAt' | 'logTail'>;

/**
 * Completes an executor's attempt results: the start time (`startedAt`, or `at` when a kind knows a
 * better one), the end time when called, and the log tail so far. The error is masked like the log.
 */
export function createResultFinisher(
  logs: LogSink,
  startedAt: number,
): (ending: AttemptEnding, at?: number) => ExecutionResult {
  return (ending, at = startedAt) => ({
    ...ending,
    ...(ending.error === undefined ? {} : { error: maskFailure(ending.error, logs.masker) }),
    startedAt: at,
    finishedAt: Date.now(),
    logTail: logs.tail(),
  });
}
