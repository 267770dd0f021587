/**
 * Duration values in a spec: a string with a unit (`500ms`, `30s`, `10m`, `1.5h`, `2d`), with the
 * units and long names the `ms` package accepts, or a non-negative integer number of seconds.
 * Written here rather than taken from `ms` because `ms` also accepts bare numeric strings as
 * milliseconds ("30" = 30ms, while `30` = 30 seconds here) and negative values.
 */
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  msec: 1,
  msecs: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

/** The JSON Schema `pattern` of a duration string; kept in step with {@link parseDuration}. */
export const DURATION_PATTERN = `^\\d+(\\.\\d+)?\\s*(${Object.keys(UNIT_MS)
  .sort((a, b) => b.length - a.length)
  .join('|')})$`;

/** What to tell a user who wrote a bad duration. */
export const DURATION_HINT = 'use e.g. 30s, 10m, 1h';

const DURATION_REGEX = new RegExp(DURATION_PATTERN);

/** Milliseconds of a duration value, or undefined when it is not a valid duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 ? value * 1000 : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const match = DURATION_REGEX.exec(text);
  if (match === null) return undefined;
  const unit = UNIT_MS[match[2] ?? ''];
  if (unit === undefined) return undefined;
  const amount = Number.parseFloat(text);
  return Math.round(amount * unit);
}
