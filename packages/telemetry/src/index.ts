export {
  DEFAULT_LOG_LEVEL,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
  parseLogFormat,
  parseLogLevel,
} from './log-settings.js';
export {
  METRICS_LISTEN_VARIABLE,
  METRICS_PATH,
  type MetricsServer,
  type MetricsServerOptions,
  parseListenAddress,
  serveServiceMetrics,
  startMetricsServer,
} from './metrics-server.js';
export {
  attemptTraceparent,
  formatTraceparent,
  type LateSpan,
  newRunTraceIds,
  parseTraceparent,
  type RunTraceIds,
  recordLateSpan,
} from './run-trace.js';
export { createServiceLogger, type LogDestination, type ServiceLoggerOptions } from './service-logger.js';
export {
  extractContext,
  injectTraceparent,
  isValidTraceparent,
  newTraceparent,
} from './trace-context.js';
export {
  startTracing,
  type Tracing,
  tracingEnabled,
  tracingRequested,
  tributaryTracer,
  withSpanIds,
} from './tracing.js';
