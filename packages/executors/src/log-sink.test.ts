import { describe, expect, it } from 'vitest';
import { createLogSink, createResultFinisher, MAX_LOG_LINE_CHARS } from './log-sink.js';
import type { LogLine } from './types.js';

describe('createLogSink', () => {
  it('forwards every line and keeps only the last ones, oldest first', () => {
    const seen: LogLine[] = [];
    const sink = createLogSink(2, (line) => seen.push(line));
    sink.push('stdout', 'a', undefined, 1);
    sink.push('stderr', 'b', undefined, 2);
    sink.push('log', 'c', 'warn', 3);
    expect(seen).toEqual([
      { stream: 'stdout', line: 'a', at: 1 },
      { stream: 'stderr', line: 'b', at: 2 },
      { stream: 'log', line: 'c', at: 3, level: 'warn' },
    ]);
    expect(sink.tail()).toEqual(['b', 'c']);
  });

  it('keeps no tail when asked for zero lines', () => {
    const sink = createLogSink(0);
    sink.push('stdout', 'a');
    expect(sink.tail()).toEqual([]);
  });

  it('cuts a runaway line, saying how much was cut', () => {
    const sink = createLogSink(1);
    sink.push('stdout', 'x'.repeat(MAX_LOG_LINE_CHARS + 10));
    expect(sink.tail()[0]).toMatch(/^x+… \(10 more characters\)$/);
  });

  it('keeps the line in the tail when the consumer throws', () => {
    const sink = createLogSink(5, () => {
      throw new Error('consumer down');
    });
    sink.push('stdout', 'still here');
    expect(sink.tail()).toEqual(['still here']);
  });
});

describe('createLogSink with secrets', () => {
  it('masks the values in what onLog gets, in the tail and in the error it finishes a result with', () => {
    const seen: string[] = [];
    const sink = createLogSink(5, (line) => seen.push(line.line), ['pa55word']);
    sink.push('stdout', 'login with pa55word');
    sink.push('log', 'pa55word pa55word', 'info');
    expect(seen).toEqual(['login with ***', '*** ***']);
    expect(sink.tail()).toEqual(['login with ***', '*** ***']);
    const result = createResultFinisher(
      sink,
      1,
    )({
      outcome: 'failed',
      error: { type: 'Error', message: 'denied: pa55word', retryable: true },
    });
    expect(result.error?.message).toBe('denied: ***');
  });

  it('masks before cutting a runaway line, so the cut cannot leave part of a secret', () => {
    const secret = 'k'.repeat(40);
    const sink = createLogSink(1, undefined, [secret]);
    sink.push('stdout', `${'x'.repeat(MAX_LOG_LINE_CHARS - 10)}${secret}`);
    expect(sink.tail()[0]).toBe(`${'x'.repeat(MAX_LOG_LINE_CHARS - 10)}***`);
  });
});
