import { describe, expect, it } from 'vitest';
import {
  attemptTraceparent,
  formatTraceparent,
  newRunTraceIds,
  parseTraceparent,
  recordLateSpan,
} from './run-trace.js';
import { tracingEnabled, tracingRequested } from './tracing.js';

const CALLER = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('run trace ids without a tracing SDK', () => {
  it('puts a run under its caller span: same trace, a new span id, the caller as parent', () => {
    expect(tracingEnabled()).toBe(false);
    const ids = newRunTraceIds(CALLER, 'run demo');
    const run = parseTraceparent(ids.traceparent)!;
    expect(run.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(run.spanId).not.toBe('b7ad6b7169203331');
    expect(ids.parentSpanId).toBe('b7ad6b7169203331');
  });

  it('starts a new sampled trace for a run without a caller, or with a malformed traceparent', () => {
    for (const caller of [undefined, 'not-a-traceparent']) {
      const ids = newRunTraceIds(caller, 'run demo');
      expect(parseTraceparent(ids.traceparent)?.traceFlags).toBe(1);
      expect(ids.parentSpanId).toBeNull();
    }
    expect(newRunTraceIds(undefined, 'x').traceparent).not.toBe(newRunTraceIds(undefined, 'x').traceparent);
  });

  it('records nothing while tracing is off', () => {
    expect(() =>
      recordLateSpan({
        name: 'run demo',
        traceparent: CALLER,
        parentSpanId: null,
        startTime: 1,
        endTime: 2,
        attributes: {},
      }),
    ).not.toThrow();
  });
});

describe('attemptTraceparent', () => {
  it('derives the same span id for the same attempt, in the run trace, keeping its sampled flag', () => {
    const run = '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-00';
    const first = attemptTraceparent(run, 'load', 1);
    expect(attemptTraceparent(run, 'load', 1)).toBe(first);
    expect(first).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/);
    const others = [
      attemptTraceparent(run, 'load', 2),
      attemptTraceparent(run, 'load[1]', 1),
      attemptTraceparent(run, 'extract', 1),
    ];
    expect(new Set([first, ...others]).size).toBe(4);
  });

  it('starts a fresh trace when the run traceparent is malformed', () => {
    expect(parseTraceparent(attemptTraceparent('garbage', 'load', 1))).toBeDefined();
  });
});

describe('formatTraceparent and parseTraceparent', () => {
  it('round-trip', () => {
    expect(formatTraceparent(parseTraceparent(CALLER)!)).toBe(CALLER);
    expect(parseTraceparent('00-00000000000000000000000000000000-b7ad6b7169203331-01')).toBeUndefined();
  });
});

describe('tracingRequested', () => {
  it('follows the standard OTEL variables', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(
      true,
    );
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(
      tracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }),
    ).toBe(false);
    expect(
      tracingRequested({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }),
    ).toBe(false);
  });
});
