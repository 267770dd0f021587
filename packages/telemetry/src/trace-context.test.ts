import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { extractContext, injectTraceparent, isValidTraceparent, newTraceparent } from './trace-context.js';

const SAMPLE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('newTraceparent', () => {
  it('returns a valid version-00 sampled traceparent', () => {
    const value = newTraceparent();
    expect(value).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(isValidTraceparent(value)).toBe(true);
  });

  it('returns a different trace id every time', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newTraceparent().split('-')[1]));
    expect(ids.size).toBe(100);
  });
});

describe('isValidTraceparent', () => {
  it('accepts a well-formed traceparent', () => {
    expect(isValidTraceparent(SAMPLE)).toBe(true);
  });

  it.each([
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['an all-zero span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['a short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['upper-case hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01'],
    ['an empty string', ''],
  ])('rejects %s', (_, value) => {
    expect(isValidTraceparent(value)).toBe(false);
  });

  it('rejects values that are not strings', () => {
    expect(isValidTraceparent(undefined)).toBe(false);
    expect(isValidTraceparent(42)).toBe(false);
  });
});

describe('injectTraceparent and extractContext', () => {
  it('round-trips a traceparent through a context', () => {
    expect(injectTraceparent(extractContext(SAMPLE))).toBe(SAMPLE);
  });

  it('exposes the extracted ids as the remote span context', () => {
    const spanContext = trace.getSpanContext(extractContext(SAMPLE));
    expect(spanContext?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(spanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(spanContext?.isRemote).toBe(true);
  });

  it('injects nothing from a context without a span', () => {
    expect(injectTraceparent(ROOT_CONTEXT)).toBeUndefined();
  });

  it('ignores an absent or malformed traceparent', () => {
    expect(trace.getSpanContext(extractContext(undefined))).toBeUndefined();
    expect(trace.getSpanContext(extractContext('garbage'))).toBeUndefined();
  });
});
