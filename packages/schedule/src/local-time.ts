/**
 * Dates as DAG authors write them (`start_date: 2026-01-01`, `end_date: 2026-12-31T23:00`), read as
 * wall-clock time in the schedule's time zone unless they carry an offset. Intl knows every zone's
 * offsets; this module only turns a wall time into the instant that shows it.
 */

// `2026-03-29`, `2026-03-29T02:30`, `2026-03-29 02:30:15.250`, each optionally followed by `Z` or an
// offset (`+02:00`, `-0530`). YAML writes date-times with a space as often as with a `T`.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(?:\s*([Zz]|[+-]\d{2}:?\d{2}))?)?$/;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** One formatter per zone: building one costs far more than using it. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat | undefined {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        hourCycle: 'h23',
        era: 'short',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      return undefined;
    }
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/** The wall time `formatter`'s zone shows at `epochMs` (whole seconds), as if that wall time were UTC. */
function wallTimeAt(formatter: Intl.DateTimeFormat, epochMs: number): number {
  const fields: Record<string, number> = {};
  let bc = false;
  for (const part of formatter.formatToParts(epochMs)) {
    if (part.type === 'era') bc = part.value.startsWith('B');
    else if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const year = bc ? 1 - (fields.year ?? 0) : (fields.year ?? 0);
  const wall = new Date(0);
  wall.setUTCFullYear(year, (fields.month ?? 1) - 1, fields.day ?? 1);
  wall.setUTCHours(fields.hour ?? 0, fields.minute ?? 0, fields.second ?? 0, 0);
  return wall.getTime();
}

/** The zone's offset from UTC at `epochMs`, in ms (Berlin in summer: +7,200,000). */
function offsetAt(formatter: Intl.DateTimeFormat, epochMs: number): number {
  const second = Math.floor(epochMs / 1000) * 1000;
  return wallTimeAt(formatter, second) - second;
}

/**
 * The instant at which the zone's clocks show `wall` (a wall time written as if it were UTC). Offsets
 * change at most once within a day on either side of any wall time, so the offsets a day before and a
 * day after are the only candidates. A wall time shown twice (clocks set back) is its first instant; a
 * wall time never shown (clocks set forward over it) becomes the instant the gap ends, the first valid
 * one after it.
 */
function instantOfWallTime(formatter: Intl.DateTimeFormat, wall: number): number {
  const before = offsetAt(formatter, wall - DAY_MS);
  const after = offsetAt(formatter, wall + DAY_MS);
  const shown = [wall - before, wall - after].filter(
    (instant) => offsetAt(formatter, instant) === wall - instant,
  );
  if (shown.length > 0) return Math.min(...shown);
  // In a gap: the clocks jumped from `before` to `after` somewhere between these two instants. Find
  // the first second with the new offset (offsets change on whole seconds).
  let low = Math.floor((wall - after) / 1000);
  let high = Math.ceil((wall - before) / 1000);
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (offsetAt(formatter, middle * 1000) === after) high = middle;
    else low = middle;
  }
  return high * 1000;
}

/** Days in `month` (1-12) of `year`; setUTCFullYear, unlike Date.UTC, does not read 0-99 as 1900-1999. */
function daysInMonth(year: number, month: number): number {
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(year, month, 0);
  return lastDay.getUTCDate();
}

/** `+02:00`, `-0530` or `Z` as an offset in ms. */
function parseOffset(text: string): number {
  if (text === 'Z' || text === 'z') return 0;
  const digits = text.slice(1).replace(':', '');
  const ms = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * MINUTE_MS;
  return text.startsWith('-') ? -ms : ms;
}

/**
 * The instant (epoch ms) `text` names: `YYYY-MM-DD` (midnight) or `YYYY-MM-DDTHH:MM[:SS[.sss]]` as wall
 * time in the IANA `timezone`, or either followed by `Z` or an offset (`+02:00`) as that absolute
 * instant. A wall time the zone skips (a DST gap, `2026-03-29T02:30` in Europe/Berlin) moves forward to
 * the first valid instant (03:00 local); one it shows twice (clocks set back) is the first occurrence.
 * Null when `text` is malformed, names no real date or time (`2026-02-30`, `24:00`), or `timezone` is
 * not a zone this runtime knows.
 */
export function localTimeToEpoch(text: string, timezone: string): number | null {
  const match = DATE_TIME.exec(text.trim());
  if (match === null) return null;
  // Defaults only for the type checker: the pattern always captures the date, and a missing time is 0.
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = match
    .slice(1, 7)
    .map((field) => Number(field ?? 0));
  const fraction = match[7] ?? '0';
  const offset = match[8];
  const ms = Number(fraction.padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  if (offset !== undefined && !/^[Zz]$/.test(offset)) {
    const digits = offset.slice(1).replace(':', '');
    if (Number(digits.slice(0, 2)) > 23 || Number(digits.slice(2)) > 59) return null;
  }
  const wallDate = new Date(0);
  wallDate.setUTCFullYear(year, month - 1, day);
  wallDate.setUTCHours(hour, minute, second, ms);
  const wall = wallDate.getTime();
  const formatter = formatterFor(timezone);
  if (formatter === undefined) return null;
  if (offset !== undefined) return wall - parseOffset(offset);
  return instantOfWallTime(formatter, wall);
}
