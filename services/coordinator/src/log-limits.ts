import { Code, parseByteSize, TributaryError } from '@tributary/core';

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Reads a log retention: milliseconds (`604800000`) or a number with a unit, `ms`, `s`, `m`, `h` or `d`
 * (`7d`, `12h`, `1.5h`). `undefined` stays `undefined` (the default applies).
 * @throws TributaryError `InvalidArgument` naming `where` when it is not a positive whole number of ms.
 */
export function parseLogRetention(text: string | undefined, where: string): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const match = DURATION.exec(text);
  const ms = match === null ? Number.NaN : Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? Number.NaN);
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw invalid(where, `must be a duration such as 7d, 12h or 30m (or milliseconds), got '${text}'`);
  }
  return ms;
}

/**
 * Reads a log size limit: bytes (`1073741824`) or a size with a unit (`1GiB`, `500MiB`, `2GB`).
 * `undefined` stays `undefined` (the default applies).
 * @throws TributaryError `InvalidArgument` naming `where` when it is not a positive whole number of bytes.
 */
export function parseLogMaxBytes(text: string | undefined, where: string): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const bytes = parseByteSize(text);
  if (bytes === undefined || bytes <= 0) {
    throw invalid(where, `must be a size such as 1GiB or 500MiB (or bytes), got '${text}'`);
  }
  return bytes;
}

function invalid(where: string, message: string): TributaryError {
  return new TributaryError(Code.InvalidArgument, `${where} ${message}`, {
    problems: [{ field: where, message }],
  });
}
