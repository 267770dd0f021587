import type { LogLevel } from '@tributary/sdk';
import type { ExecutionResult, LogLine } from './types.js';

/**
 * Lines longer than this are cut in logs and the tail, so that one runaway line cannot bloat a result
 * message. A shell task's output line is read before this cut.
 */
export const MAX_LOG_LINE_CHARS = 16_384;

/** Collects an attempt's log lines: forwards each to `onLog` and keeps the last few for the result. */
export interface LogSink {
  push(stream: LogLine['stream'], line: string, level?: LogLevel, at?: number): void;
  /** The kept lines, oldest first. */
  tail(): string[];
}

/** A sink keeping the last `tailLines` lines. */
export function createLogSink(tailLines: number, onLog?: (line: LogLine) => void): LogSink {
  const kept: string[] = [];
  return {
    push(stream, raw, level, at = Date.now()) {
      const line =
        raw.length > MAX_LOG_LINE_CHARS
          ? `${raw.slice(0, MAX_LOG_LINE_CHARS)}… (${raw.length - MAX_LOG_LINE_CHARS} more characters)`
          : raw;
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
 * better one), the end time when called, and the log tail so far.
 */
export function createResultFinisher(
  logs: LogSink,
  startedAt: number,
): (ending: AttemptEnding, at?: number) => ExecutionResult {
  return (ending, at = startedAt) => ({
    ...ending,
    startedAt: at,
    finishedAt: Date.now(),
    logTail: logs.tail(),
  });
}
