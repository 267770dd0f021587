import { type Attributes, SpanStatusCode } from '@opentelemetry/api';
import { startTracing, type Tracing, tributaryTracer } from '@tributary/telemetry/tracing';

/** How long a finished task waits for its spans to be exported before its result goes back. */
const FLUSH_TIMEOUT_MS = 2_000;

let tracing: Tracing | undefined;

/**
 * Starts this pool thread's own OpenTelemetry SDK, once, when the worker's `OTEL_*` variables ask for
 * traces: a worker thread has its own globals, so the worker process's SDK does not see spans started
 * here. The thread exports them itself.
 */
export async function startThreadTracing(): Promise<void> {
  tracing ??= await startTracing('tributary-worker');
}

/**
 * Exports the spans the task's code ended, before its result goes back: an idle thread may be ended
 * by the pool at any time after, and the spans would be lost. Bounded, so that a collector that does not
 * answer never holds up a task.
 */
export async function flushThreadSpans(): Promise<void> {
  if (!tracing?.enabled) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
  });
  await Promise.race([tracing.flush().catch(() => undefined), timeout]);
  clearTimeout(timer);
}

/** `ctx.span`: runs `fn` in a child span of the active one, ending it when `fn` settles. */
export function taskSpan<T>(name: string, fn: () => T | Promise<T>, attributes: Attributes = {}): Promise<T> {
  return tributaryTracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn();
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    } finally {
      span.end();
    }
  });
}
