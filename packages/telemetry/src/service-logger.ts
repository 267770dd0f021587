import { isatty } from 'node:tty';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import type { Logger } from '@tributary/core';
import { pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { DEFAULT_LOG_LEVEL, type LogFormat, type LogLevel } from './log-settings.js';

/** Where log lines go: anything with a synchronous `write`, such as `process.stderr`. */
export interface LogDestination {
  write(chunk: string): unknown;
  /** Whether a person is reading it; decides the format when none is set. */
  readonly isTTY?: boolean;
}

/** Options of {@link createServiceLogger}. */
export interface ServiceLoggerOptions {
  /** Fields on every line, e.g. `{ service: 'worker', workerId }`. @default {} */
  base?: Record<string, unknown>;
  /** Lines below this level are dropped. @default 'info' */
  level?: LogLevel;
  /** @default 'pretty' when the destination is a terminal, 'json' otherwise */
  format?: LogFormat;
  /** @default standard error (fd 2), written synchronously */
  destination?: LogDestination;
}

/**
 * A service's logger (coordinator, worker), built on pino. In the JSON form each line is
 * `{"level":"info","time":"<ISO 8601>",...base,"trace_id","span_id","trace_flags",...fields,"msg"}`:
 * the trace fields appear while an OpenTelemetry span is active, so a line can be found from its trace
 * and the other way round; `Error` values among the fields keep their type, message, stack and cause.
 * The pretty form is the same line as readable text, for a person at a terminal.
 *
 * Every line is written before the call returns, so nothing is lost when the process exits right after.
 */
export function createServiceLogger(options: ServiceLoggerOptions = {}): Logger {
  const destination = options.destination ?? standardError();
  const terminal = options.destination === undefined ? isatty(2) : options.destination.isTTY === true;
  const format = options.format ?? (terminal ? 'pretty' : 'json');
  const logger = pino(
    {
      level: options.level ?? DEFAULT_LOG_LEVEL,
      base: { ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        // A label ("info") rather than pino's number (30): what the tests and log queries match on.
        level: (label) => ({ level: label }),
        log: serializeErrors,
      },
      mixin: activeTraceFields,
    },
    format === 'pretty' ? prettyDestination(destination, terminal) : destination,
  );
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: object): void => {
      if (fields === undefined) logger[level](msg);
      else logger[level](fields, msg);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * pino writes asynchronously by default and drops what is still buffered when the process exits: the
 * last line before an exit (`coordinator failed to start`, `second signal, exiting now` before
 * `process.exit(130)`) would be the one lost. Log lines are few, so writing each one at once costs little.
 */
function standardError(): LogDestination {
  return pino.destination({ dest: 2, sync: true });
}

/**
 * pino-pretty's own stream is a transform that may hand a line on in a later tick; formatting each line
 * here and writing it straight away keeps the pretty form as synchronous as the JSON one.
 */
function prettyDestination(destination: LogDestination, colorize: boolean): LogDestination {
  const prettify = prettyFactory({ colorize, translateTime: 'SYS:HH:MM:ss.l' });
  return { write: (line) => destination.write(prettify(line)) };
}

/** The active span's ids, named as OpenTelemetry's log data model names them. */
function activeTraceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (span === undefined) return {};
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: spanContext.traceFlags.toString(16).padStart(2, '0'),
  };
}

// JSON.stringify drops an Error's message and stack (they are not enumerable); pino's serializer keeps
// them, with the cause chain and own properties such as TributaryError's code.
function serializeErrors(fields: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (!(value instanceof Error)) continue;
    copy ??= { ...fields };
    copy[key] = pino.stdSerializers.errWithCause(value);
  }
  return copy ?? fields;
}
