import { describe, expect, it } from 'vitest';
import { createJsonRenderer, eventToJson, summaryToJson } from './json.js';

const AT = Date.UTC(2025, 0, 2, 3, 4, 5, 6);

describe('summaryToJson', () => {
  it('has exactly the run id, dag and state, and per task its state, attempts and output', () => {
    const json = summaryToJson({
      run: { id: 'r1', dag: 'd', state: 'failed', startedAt: AT, finishedAt: AT + 10 },
      context: {},
      tasks: {
        a: { state: 'succeeded', attempts: 1, output: { x: 1 } },
        b: { state: 'failed', attempts: 3, error: { message: 'boom', type: 'Error', retryable: true } },
        c: { state: 'upstream_failed', attempts: 0 },
      },
    });
    expect(JSON.parse(JSON.stringify(json))).toStrictEqual({
      run: { id: 'r1', dag: 'd', state: 'failed' },
      tasks: {
        a: { state: 'succeeded', attempts: 1, output: { x: 1 } },
        b: { state: 'failed', attempts: 3 },
        c: { state: 'upstream_failed', attempts: 0 },
      },
    });
  });

  it('keeps a null output', () => {
    const json = summaryToJson({
      run: { id: 'r', dag: 'd', state: 'succeeded', startedAt: 0, finishedAt: 0 },
      context: {},
      tasks: { a: { state: 'succeeded', attempts: 1, output: null } },
    });
    expect(json.tasks).toEqual({ a: { state: 'succeeded', attempts: 1, output: null } });
  });

  it('adds the logical date and data interval of a run given one, as ISO strings', () => {
    const json = summaryToJson({
      run: {
        id: 'r',
        dag: 'd',
        state: 'succeeded',
        startedAt: AT + 99,
        finishedAt: AT + 100,
        dataInterval: { start: AT, end: AT + 3_600_000 },
      },
      context: {},
      tasks: {},
    });
    expect(json.run).toStrictEqual({
      id: 'r',
      dag: 'd',
      state: 'succeeded',
      logical_date: '2025-01-02T03:04:05.006Z',
      data_interval_start: '2025-01-02T03:04:05.006Z',
      data_interval_end: '2025-01-02T04:04:05.006Z',
    });
  });
});

describe('eventToJson', () => {
  it('uses snake_case keys and ISO times for task events', () => {
    const json = eventToJson({
      type: 'task',
      task: 'a',
      state: 'up_for_retry',
      attempt: 1,
      at: AT,
      durationMs: 12,
      error: {
        message: 'boom',
        type: 'ShellExitError',
        retryable: true,
        stack: 'at x',
        details: { exitCode: 3 },
      },
      logTail: ['line'],
      retryAt: AT + 1000,
    });
    expect(json).toEqual({
      type: 'task',
      task: 'a',
      state: 'up_for_retry',
      attempt: 1,
      at: '2025-01-02T03:04:05.006Z',
      duration_ms: 12,
      error: { message: 'boom', type: 'ShellExitError', retryable: true, details: { exitCode: 3 } },
      log_tail: ['line'],
      retry_at: '2025-01-02T03:04:06.006Z',
    });
  });

  it('writes run and log events with ISO times', () => {
    expect(eventToJson({ type: 'run', run: 'r', dag: 'd', state: 'running', at: AT })).toEqual({
      type: 'run',
      run: 'r',
      dag: 'd',
      state: 'running',
      at: '2025-01-02T03:04:05.006Z',
    });
    expect(
      eventToJson({ type: 'log', task: 'a', attempt: 2, stream: 'stderr', line: 'x', at: AT }),
    ).toMatchObject({
      stream: 'stderr',
      attempt: 2,
      at: '2025-01-02T03:04:05.006Z',
    });
  });
});

describe('createJsonRenderer', () => {
  it('writes one JSON document per line, the summary last', () => {
    const chunks: string[] = [];
    const renderer = createJsonRenderer((text) => chunks.push(text));
    renderer.event({ type: 'run', run: 'r', dag: 'd', state: 'running', at: AT });
    renderer.summary({
      run: { id: 'r', dag: 'd', state: 'succeeded', startedAt: AT, finishedAt: AT },
      context: {},
      tasks: {},
    });
    const lines = chunks.join('').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1] ?? '')).toEqual({ run: { id: 'r', dag: 'd', state: 'succeeded' }, tasks: {} });
  });
});
