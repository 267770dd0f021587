import { Code, TributaryError } from '@tributary/core';

/** The levels a service logs at, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** How much a service logs: this level and the ones more severe. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The forms a service log takes: one JSON object per line, or text for people at a terminal. */
export const LOG_FORMATS = ['json', 'pretty'] as const;

/** One JSON object per line (`json`), or coloured text for a person at a terminal (`pretty`). */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The level a service logs at when none is set. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/**
 * Checks a log level read from configuration. `undefined` and the empty string mean "not set".
 *
 * @param value - What was configured.
 * @param name - Where it came from, for the error: a variable (`TRIBUTARY_LOG_LEVEL`) or an option.
 * @throws TributaryError `InvalidArgument`, e.g.
 * `TRIBUTARY_LOG_LEVEL must be one of 'debug', 'info', 'warn', 'error', got 'verbose'`.
 */
export function parseLogLevel(value: unknown, name: string): LogLevel | undefined {
  return oneOf(value, name, LOG_LEVELS);
}

/**
 * Checks a log format read from configuration. `undefined` and the empty string mean "not set", which
 * services read as "pretty on a terminal, JSON otherwise".
 *
 * @param value - What was configured.
 * @param name - Where it came from, for the error: a variable (`TRIBUTARY_LOG_FORMAT`) or an option.
 * @throws TributaryError `InvalidArgument`, e.g. `TRIBUTARY_LOG_FORMAT must be one of 'json', 'pretty', got 'xml'`.
 */
export function parseLogFormat(value: unknown, name: string): LogFormat | undefined {
  return oneOf(value, name, LOG_FORMATS);
}

function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  const got = typeof value === 'string' ? `'${value}'` : String(value);
  const message = `${name} must be one of ${allowed.map((item) => `'${item}'`).join(', ')}, got ${got}`;
  throw new TributaryError(Code.InvalidArgument, message, { problems: [{ field: name, message }] });
}
