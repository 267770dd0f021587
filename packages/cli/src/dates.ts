// `YYYY-MM-DD`, then optionally `THH:MM[:SS[.fff]]` and a `Z` or `±HH:MM` offset.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** What {@link parseDateArgument} accepts, for error messages and help. */
export const DATE_ARGUMENT_FORMS =
  'YYYY-MM-DD (UTC midnight) or an ISO date-time such as 2024-01-31T06:00:00Z';

/**
 * Reads a date given on the command line as epoch milliseconds: `YYYY-MM-DD` is UTC midnight of that
 * day; an ISO date-time without an offset is UTC too, so that one command means the same everywhere.
 * Returns undefined for anything else, including days that do not exist (`2024-02-30`), which
 * `Date.parse` would silently roll over into the next month.
 */
export function parseDateArgument(text: string): number | undefined {
  const match = DATE_TIME.exec(text.trim());
  if (match === null) return undefined;
  const [, year, month, day, hour = '0', minute = '0', second = '0', offset] = match;
  const midnight = Date.UTC(Number(year), Number(month) - 1, Number(day));
  const date = new Date(midnight);
  if (date.getUTCMonth() !== Number(month) - 1 || date.getUTCDate() !== Number(day)) return undefined;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
  if (match[4] === undefined) return midnight;
  const ms = Date.parse(offset === undefined ? `${text.trim()}Z` : text.trim());
  return Number.isNaN(ms) ? undefined : ms;
}
