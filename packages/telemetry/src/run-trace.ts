import { createHash, randomBytes } from 'node:crypto';
import {
  type Attributes,
  isSpanContextValid,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';
import { extractContext, newTraceparent } from './trace-context.js';
import { tracingEnabled, tributaryTracer, withSpanIds } from './tracing.js';

/** The ids of a run's span, fixed when the run is created and stored with it. */
export interface RunTraceIds {
  /** W3C traceparent of the run's span: its trace id, span id and sampled flag. */
  traceparent: string;
  /** The span id of the run span's parent (a traced client's span); null for a root span. */
  parentSpanId: string | null;
}

/**
 * Fixes the ids of a new run's span, under `parentTraceparent` (the caller's span) when it is valid.
 * With tracing on, the SDK's sampler decides whether the run's trace is sampled, once, here; the span
 * itself is recorded when the run finishes (see {@link recordLateSpan}).
 */
export function newRunTraceIds(parentTraceparent: string | undefined, spanName: string): RunTraceIds {
  const parent = trace.getSpanContext(extractContext(parentTraceparent, ROOT_CONTEXT));
  if (tracingEnabled()) {
    // Started only for its ids and the sampling decision; never ended, so never exported.
    const probe = tributaryTracer().startSpan(spanName, {}, extractContext(parentTraceparent, ROOT_CONTEXT));
    return { traceparent: formatTraceparent(probe.spanContext()), parentSpanId: parent?.spanId ?? null };
  }
  if (parent === undefined) return { traceparent: newTraceparent(), parentSpanId: null };
  const spanId = randomBytes(8).toString('hex');
  return {
    traceparent: formatTraceparent({ ...parent, spanId }),
    parentSpanId: parent.spanId,
  };
}

/** The parts of a traceparent; undefined when it is malformed. */
export function parseTraceparent(traceparent: string): SpanContext | undefined {
  const spanContext = parseTraceParent(traceparent);
  return spanContext !== null && isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** `00-<trace id>-<span id>-<flags>`. */
export function formatTraceparent(spanContext: SpanContext): string {
  const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/**
 * The traceparent of an attempt's span: in the run's trace, with a span id derived from the run's span
 * id, the task and the attempt. Derived rather than stored, so that any coordinator computes the same
 * ids when it dispatches the attempt and when it records the attempt's span at its end.
 */
export function attemptTraceparent(runTraceparent: string, taskId: string, attempt: number): string {
  const run = parseTraceparent(runTraceparent);
  if (run === undefined) return newTraceparent();
  const spanId = createHash('sha256').update(`${run.spanId}/${taskId}/${attempt}`).digest('hex').slice(0, 16);
  return formatTraceparent({ ...run, spanId });
}

/** A span recorded after the fact, with ids fixed when it began. */
export interface LateSpan {
  name: string;
  /** @default SpanKind.INTERNAL */
  kind?: SpanKind;
  /** The span's own traceparent: its trace id, span id and sampled flag. */
  traceparent: string;
  /** Its parent's span id in the same trace; null for a root span. */
  parentSpanId: string | null;
  /** Epoch ms. */
  startTime: number;
  /** Epoch ms. */
  endTime: number;
  attributes: Attributes;
  events?: readonly { name: string; time: number; attributes?: Attributes }[];
  /** Sets the span's status to error with this message. */
  error?: string;
}

/**
 * Records a span that began earlier, maybe in another process (a run, an attempt), under the ids fixed
 * when it began. Nothing happens while tracing is off or when the trace was not sampled.
 */
export function recordLateSpan(late: LateSpan): void {
  if (!tracingEnabled()) return;
  const ids = parseTraceparent(late.traceparent);
  if (ids === undefined || (ids.traceFlags & TraceFlags.SAMPLED) === 0) return;
  const parent =
    late.parentSpanId === null
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, {
          traceId: ids.traceId,
          spanId: late.parentSpanId,
          traceFlags: ids.traceFlags,
          isRemote: true,
        });
  const span = withSpanIds({ traceId: ids.traceId, spanId: ids.spanId }, () =>
    tributaryTracer().startSpan(
      late.name,
      { kind: late.kind ?? SpanKind.INTERNAL, startTime: late.startTime, attributes: late.attributes },
      parent,
    ),
  );
  for (const event of late.events ?? []) span.addEvent(event.name, event.attributes ?? {}, event.time);
  if (late.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: late.error });
  span.end(Math.max(late.endTime, late.startTime));
}
