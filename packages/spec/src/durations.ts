import { SECOND } from '@tributary/core';
import ms from 'ms';

/**
 * Duration values in a spec: a string with a unit (`500ms`, `30s`, `10m`, `1.5h`, `2 days`), read by
 * the `ms` package, or a non-negative integer number of seconds. Strings must first match
 * {@link DURATION_PATTERN}, because `ms` alone also accepts bare numeric strings as milliseconds
 * ("30" = 30ms, while `30` = 30 seconds here), negative values, years and any letter case.
 */

/** The unit names of `ms`, in the lower case spelling a spec may use (years are left out). */
const UNITS = [
  ...['ms', 'msec', 'msecs', 'millisecond', 'milliseconds'],
  ...['s', 'sec', 'secs', 'second', 'seconds'],
  ...['m', 'min', 'mins', 'minute', 'minutes'],
  ...['h', 'hr', 'hrs', 'hour', 'hours'],
  ...['d', 'day', 'days', 'w', 'week', 'weeks'],
];

/**
 * The JSON Schema `pattern` of a duration string: the strings {@link parseDuration} accepts. Longer
 * unit names come first so that the alternation never stops at a prefix (`m` of `ms`).
 */
export const DURATION_PATTERN = `^\\d+(\\.\\d+)? *(${[...UNITS].sort((a, b) => b.length - a.length).join('|')})$`;

/** What to tell a user who wrote a bad duration. */
export const DURATION_HINT = 'use e.g. 30s, 10m, 1h';

const DURATION_REGEX = new RegExp(DURATION_PATTERN);

/** Milliseconds of a duration value, or undefined when it is not a valid duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 ? value * SECOND : undefined;
  }
  if (typeof value !== 'string' || !DURATION_REGEX.test(value)) return undefined;
  // The pattern admits only strings ms parses; ms still returns undefined for what it cannot read.
  const millis: number | undefined = ms(value as ms.StringValue);
  return millis === undefined ? undefined : Math.round(millis);
}
