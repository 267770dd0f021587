import { randomBytes } from 'node:crypto';
import {
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
} from '@opentelemetry/api';
import { parseTraceParent, TRACE_PARENT_HEADER, W3CTraceContextPropagator } from '@opentelemetry/core';

const propagator = new W3CTraceContextPropagator();

/**
 * The W3C `traceparent` of the span in `ctx`, or undefined when `ctx` holds no valid span (always the case
 * while no OpenTelemetry SDK is registered and nothing was extracted).
 *
 * @param ctx - The context to read. @default context.active()
 */
export function injectTraceparent(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return carrier[TRACE_PARENT_HEADER];
}

/**
 * A context whose remote parent span is `traceparent`, derived from the active context. An absent or
 * malformed traceparent yields the active context unchanged, so a bad header never breaks message handling.
 */
export function extractContext(traceparent?: string, base: Context = context.active()): Context {
  if (traceparent === undefined || traceparent === '') return base;
  return propagator.extract(base, { [TRACE_PARENT_HEADER]: traceparent }, defaultTextMapGetter);
}

/** A fresh, valid, sampled W3C traceparent: `00-<32 hex trace id>-<16 hex span id>-01`. */
export function newTraceparent(): string {
  return `00-${nonZeroHex(16)}-${nonZeroHex(8)}-01`;
}

/** Whether `value` is a well-formed W3C traceparent with non-zero trace and span ids. */
export function isValidTraceparent(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const spanContext = parseTraceParent(value);
  return spanContext !== null && isSpanContextValid(spanContext);
}

// The all-zero id is invalid per the W3C spec; the odds of drawing it are 2^-64 or less, but a retry is free.
function nonZeroHex(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (/[^0]/.test(hex)) return hex;
  }
}
