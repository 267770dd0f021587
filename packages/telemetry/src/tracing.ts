import { randomBytes } from 'node:crypto';
import { type ProxyTracerProvider, type Tracer, trace } from '@opentelemetry/api';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

/** The tracer every Tributary component creates its spans with. */
export function tributaryTracer(): Tracer {
  return trace.getTracer('tributary');
}

/** A started tracing SDK, or the absence of one. */
export interface Tracing {
  /** Whether spans are recorded and exported. */
  readonly enabled: boolean;
  /** Exports what is pending. */
  flush(): Promise<void>;
  /** Exports what is pending and stops. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, flush: async () => {}, shutdown: async () => {} };

/**
 * Whether the standard `OTEL_*` variables ask for traces: an exporter or an OTLP endpoint is named, and
 * neither `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none` turns them off. Unset, tracing is off
 * and costs a no-op tracer's calls: a laptop without a collector gets no export errors.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim());
  if (exporters.includes('none')) return false;
  return (
    exporters.some((name) => name !== '') ||
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()) ||
    Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim())
  );
}

let started: Tracing | undefined;

/** Whether {@link startTracing} started the SDK in this process or thread. */
export function tracingEnabled(): boolean {
  return started?.enabled === true;
}

/**
 * Starts the OpenTelemetry SDK for this process (or worker thread) when {@link tracingRequested}, once;
 * later calls return the same. The SDK's modules are loaded only then: a process without tracing does
 * not pay for loading them. Exporter, protocol (`OTEL_EXPORTER_OTLP_PROTOCOL`: grpc, http/protobuf,
 * http/json), endpoint, sampler (`OTEL_TRACES_SAMPLER`) and resource (`OTEL_SERVICE_NAME`,
 * `OTEL_RESOURCE_ATTRIBUTES`) all come from the standard variables. Only traces: metrics are served to
 * Prometheus by each service, and logs are the services' own.
 *
 * @param serviceName - `service.name` unless `OTEL_SERVICE_NAME` names one.
 */
export async function startTracing(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Tracing> {
  if (started) return started;
  if (!tracingRequested(env)) {
    started = OFF;
    return started;
  }
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  if (started) return started;
  const sdk = new NodeSDK({
    ...(env.OTEL_SERVICE_NAME ? {} : { serviceName }),
    idGenerator: chosenIds,
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  // The global provider is a proxy; its delegate is the SDK's provider, which can flush.
  const provider = (trace.getTracerProvider() as ProxyTracerProvider).getDelegate() as unknown as {
    forceFlush(): Promise<void>;
  };
  started = { enabled: true, flush: () => provider.forceFlush(), shutdown: () => sdk.shutdown() };
  return started;
}

/** Ids a span is to be given instead of random ones: see {@link withSpanIds}. */
export interface ChosenIds {
  /** 32 lowercase hex digits; used only when the span has no parent. */
  traceId?: string;
  /** 16 lowercase hex digits. */
  spanId: string;
}

/**
 * Random ids, except for the span started inside {@link withSpanIds}. A run's and an attempt's spans
 * are recorded when they end, possibly by another coordinator than the one that started them: their
 * ids are fixed when they start (stored with the run, derived for attempts) so that children created
 * meanwhile on workers point at them, and the span is then created with those ids.
 */
class ChosenIdGenerator implements IdGenerator {
  next: ChosenIds | undefined;

  generateTraceId(): string {
    return this.next?.traceId ?? randomId(16);
  }

  generateSpanId(): string {
    const chosen = this.next?.spanId;
    // One span per choice: a nested start inside the callback gets a random id again.
    if (this.next) this.next = { ...this.next, spanId: '' };
    return chosen ? chosen : randomId(8);
  }
}

/** Random non-zero id of `bytes` bytes, in hex (an all-zero id is invalid). */
function randomId(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (/[^0]/.test(hex)) return hex;
  }
}

const chosenIds = new ChosenIdGenerator();

/**
 * Calls `start` (which must start exactly one span, synchronously) so that the span gets `ids`. Without
 * a started SDK the ids are unused: the no-op tracer generates none.
 */
export function withSpanIds<T>(ids: ChosenIds, start: () => T): T {
  chosenIds.next = ids;
  try {
    return start();
  } finally {
    chosenIds.next = undefined;
  }
}
