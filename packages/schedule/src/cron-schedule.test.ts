import { TributaryError } from '@tributary/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CronSchedule, type DataInterval } from './cron-schedule.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();
const isoInterval = (interval: DataInterval | null) =>
  interval === null ? null : { start: iso(interval.start), end: iso(interval.end) };

function schedule(
  cron: string,
  timezone = 'UTC',
  startDate = at('2026-01-01T00:00:00Z'),
  endDate: number | null = null,
) {
  return new CronSchedule({ cron, timezone, startDate, endDate });
}

/** The calendar day (YYYY-MM-DD) of `ms` in `timezone`. */
function localDay(ms: number, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone }).format(ms);
}

describe('CronSchedule across daylight saving time', () => {
  // 2026: Berlin springs forward on 29 March (02:00 -> 03:00) and falls back on 25 October (03:00 -> 02:00);
  // New York springs forward on 8 March (02:00 -> 03:00) and falls back on 1 November (02:00 -> 01:00).
  const transitions = [
    { timezone: 'Europe/Berlin', day: '2026-03-29', around: at('2026-03-26T00:00:00Z') },
    { timezone: 'Europe/Berlin', day: '2026-10-25', around: at('2026-10-22T00:00:00Z') },
    { timezone: 'America/New_York', day: '2026-03-08', around: at('2026-03-05T00:00:00Z') },
    { timezone: 'America/New_York', day: '2026-11-01', around: at('2026-10-29T00:00:00Z') },
  ];

  for (const { timezone, day, around } of transitions) {
    it(`runs a daily 02:30 schedule exactly once on each local day around ${day} in ${timezone}`, () => {
      const daily = schedule('30 2 * * *', timezone);
      const intervals = daily.intervalsWithLogicalDateIn(around, around + 7 * DAY - 1, 10);
      const days = intervals.map((interval) => localDay(interval.start, timezone));
      expect(days).toHaveLength(7);
      expect(new Set(days).size).toBe(7);
      expect(days).toContain(day);
      for (const [index, interval] of intervals.slice(1).entries()) {
        expect(interval.start).toBe(intervals[index]?.end);
      }
    });

    it(`runs an hourly schedule once in every real hour around ${day} in ${timezone}`, () => {
      const hourly = schedule('0 * * * *', timezone);
      const intervals = hourly.intervalsWithLogicalDateIn(around, around + 7 * DAY - 1, 1000);
      expect(intervals).toHaveLength(7 * 24);
      for (const interval of intervals) expect(interval.end - interval.start).toBe(HOUR);
    });
  }

  it('runs a local time inside the spring-forward gap at the first valid instant after it', () => {
    const berlin = schedule('30 2 * * *', 'Europe/Berlin');
    expect(
      iso(
        berlin.intervalsWithLogicalDateIn(at('2026-03-29T00:00:00Z'), at('2026-03-29T12:00:00Z'), 5)[0]!
          .start,
      ),
    ).toBe(
      '2026-03-29T01:00:00.000Z', // 03:00 CEST
    );
    const newYork = schedule('30 2 * * *', 'America/New_York');
    expect(
      iso(
        newYork.intervalsWithLogicalDateIn(at('2026-03-08T00:00:00Z'), at('2026-03-08T12:00:00Z'), 5)[0]!
          .start,
      ),
    ).toBe(
      '2026-03-08T07:00:00.000Z', // 03:00 EDT
    );
  });

  it('runs a local time that occurs twice at fall-back once, at the earlier instant', () => {
    const berlin = schedule('30 2 * * *', 'Europe/Berlin');
    const berlinRuns = berlin.intervalsWithLogicalDateIn(
      at('2026-10-24T23:00:00Z'),
      at('2026-10-25T22:00:00Z'),
      5,
    );
    expect(berlinRuns.map((interval) => iso(interval.start))).toEqual(['2026-10-25T00:30:00.000Z']); // 02:30 CEST
    const newYork = schedule('30 1 * * *', 'America/New_York');
    const newYorkRuns = newYork.intervalsWithLogicalDateIn(
      at('2026-11-01T04:00:00Z'),
      at('2026-11-02T03:59:59Z'),
      5,
    );
    expect(newYorkRuns.map((interval) => iso(interval.start))).toEqual(['2026-11-01T05:30:00.000Z']); // 01:30 EDT
  });

  it('makes the data interval of the day of a change as long as that local day', () => {
    const berlin = schedule('@daily', 'Europe/Berlin');
    const [springDay] = berlin.intervalsWithLogicalDateIn(
      at('2026-03-28T23:00:00Z'),
      at('2026-03-28T23:00:00Z'),
      1,
    );
    expect(springDay!.end - springDay!.start).toBe(23 * HOUR);
    const [autumnDay] = berlin.intervalsWithLogicalDateIn(
      at('2026-10-24T22:00:00Z'),
      at('2026-10-24T22:00:00Z'),
      1,
    );
    expect(autumnDay!.end - autumnDay!.start).toBe(25 * HOUR);
  });
});

describe('CronSchedule expressions', () => {
  it('reads presets in the time zone', () => {
    const start = at('2026-06-10T12:00:00Z'); // a Wednesday
    expect(isoInterval(schedule('@daily', 'Europe/Berlin', start).intervalAfter(null))).toEqual({
      start: '2026-06-10T22:00:00.000Z',
      end: '2026-06-11T22:00:00.000Z',
    });
    expect(isoInterval(schedule('@hourly', 'America/New_York', start).intervalAfter(null))).toEqual({
      start: '2026-06-10T12:00:00.000Z', // the start date is a fire time: the first interval starts at it
      end: '2026-06-10T13:00:00.000Z',
    });
    expect(isoInterval(schedule('@weekly', 'UTC', start).intervalAfter(null))).toEqual({
      start: '2026-06-14T00:00:00.000Z',
      end: '2026-06-21T00:00:00.000Z',
    });
    expect(isoInterval(schedule('@monthly', 'UTC', start).intervalAfter(null))).toEqual({
      start: '2026-07-01T00:00:00.000Z',
      end: '2026-08-01T00:00:00.000Z',
    });
  });

  it('runs a 6-field expression to the second', () => {
    const everyFifteenSeconds = schedule('*/15 * * * * *', 'UTC', at('2026-01-01T00:00:01Z'));
    expect(everyFifteenSeconds.dueIntervals(null, at('2026-01-01T00:01:00Z'), 10).map(isoInterval)).toEqual([
      { start: '2026-01-01T00:00:15.000Z', end: '2026-01-01T00:00:30.000Z' },
      { start: '2026-01-01T00:00:30.000Z', end: '2026-01-01T00:00:45.000Z' },
      { start: '2026-01-01T00:00:45.000Z', end: '2026-01-01T00:01:00.000Z' },
    ]);
  });

  it('refuses an expression or time zone it cannot read, naming it', () => {
    expect(() => schedule('61 * * * *')).toThrow(TributaryError);
    expect(() => schedule('61 * * * *')).toThrow(/'61 \* \* \* \*'/);
    expect(() => schedule('0 * * * *', 'Mars/Olympus')).toThrow(/Mars\/Olympus/);
  });
});

describe('CronSchedule start and end dates', () => {
  it('starts the first interval at the first fire time after a start date between fire times', () => {
    const hourly = schedule('0 * * * *', 'UTC', at('2026-01-01T10:20:00Z'));
    expect(isoInterval(hourly.intervalAfter(null))).toEqual({
      start: '2026-01-01T11:00:00.000Z',
      end: '2026-01-01T12:00:00.000Z',
    });
  });

  it('starts the first interval at the start date when it is a fire time', () => {
    const hourly = schedule('0 * * * *', 'UTC', at('2026-01-01T10:00:00Z'));
    expect(iso(hourly.intervalAfter(null)!.start)).toBe('2026-01-01T10:00:00.000Z');
    expect(iso(hourly.intervalAfter(at('2025-06-01T00:00:00Z'))!.start)).toBe('2026-01-01T10:00:00.000Z');
  });

  it('returns the interval after a cursor, whether the cursor is a fire time or between two', () => {
    const hourly = schedule('0 * * * *');
    expect(iso(hourly.intervalAfter(at('2026-02-01T10:00:00Z'))!.start)).toBe('2026-02-01T11:00:00.000Z');
    expect(iso(hourly.intervalAfter(at('2026-02-01T10:00:00.001Z'))!.start)).toBe('2026-02-01T11:00:00.000Z');
    expect(iso(hourly.intervalAfter(at('2026-02-01T09:59:59.999Z'))!.start)).toBe('2026-02-01T10:00:00.000Z');
  });

  it('starts no interval after the end date, and the one starting at it ends at the next fire time', () => {
    const hourly = schedule('0 * * * *', 'UTC', at('2026-01-01T00:00:00Z'), at('2026-01-01T03:00:00Z'));
    const all = hourly.dueIntervals(null, at('2026-02-01T00:00:00Z'), 100);
    expect(all.map((interval) => iso(interval.start))).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T01:00:00.000Z',
      '2026-01-01T02:00:00.000Z',
      '2026-01-01T03:00:00.000Z',
    ]);
    expect(iso(all.at(-1)!.end)).toBe('2026-01-01T04:00:00.000Z');
    expect(hourly.intervalAfter(at('2026-01-01T03:00:00Z'))).toBeNull();
    expect(isoInterval(hourly.lastDueInterval(null, at('2026-02-01T00:00:00Z')))).toEqual(
      isoInterval(all.at(-1)!),
    );
    expect(hourly.lastDueInterval(at('2026-01-01T03:00:00Z'), at('2026-02-01T00:00:00Z'))).toBeNull();
  });
});

describe('CronSchedule due intervals', () => {
  it('finds the newest due interval of a year of per-second intervals without walking them', () => {
    const everySecond = schedule('* * * * * *', 'Europe/Berlin', at('2026-01-01T00:00:00Z'));
    const now = at('2027-01-01T00:00:00.500Z');
    expect(isoInterval(everySecond.lastDueInterval(null, now))).toEqual({
      start: '2026-12-31T23:59:59.000Z',
      end: '2027-01-01T00:00:00.000Z',
    });
    expect(everySecond.countDue(null, now, 1000)).toBe(1000);
    expect(everySecond.dueIntervals(null, now, 3).map((interval) => iso(interval.start))).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:00:01.000Z',
      '2026-01-01T00:00:02.000Z',
    ]);
  });

  it('holds nothing due before the first interval has closed', () => {
    const hourly = schedule('0 * * * *', 'UTC', at('2026-01-01T00:00:00Z'));
    expect(hourly.dueIntervals(null, at('2026-01-01T00:59:59.999Z'), 10)).toEqual([]);
    expect(hourly.lastDueInterval(null, at('2026-01-01T00:59:59.999Z'))).toBeNull();
    expect(hourly.countDue(null, at('2026-01-01T00:59:59.999Z'), 10)).toBe(0);
    expect(hourly.countDue(null, at('2026-01-01T01:00:00Z'), 10)).toBe(1);
  });

  it('agrees between dueIntervals, lastDueInterval, countDue and a minute-by-minute count', () => {
    const base = at('2026-03-01T00:00:00Z');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 59 }),
        fc.integer({ min: 0, max: 3 * DAY }),
        fc.option(fc.integer({ min: 0, max: 4 * DAY }), { nil: null }),
        fc.integer({ min: 0, max: 4 * DAY }),
        fc.option(fc.integer({ min: 0, max: 4 * DAY }), { nil: null }),
        fc.integer({ min: 0, max: 50 }),
        (step, startOffset, cursorOffset, nowOffset, endOffset, cap) => {
          const startDate = base + startOffset;
          const endDate = endOffset === null ? null : base + endOffset;
          const cursor = cursorOffset === null ? null : base + cursorOffset;
          const now = base + nowOffset;
          const grid = schedule(`*/${step} * * * *`, 'UTC', startDate, endDate);

          // The fire times of */step in UTC, found minute by minute: the reference the schedule must match.
          const expected: DataInterval[] = [];
          const fires = (minute: number) => new Date(minute).getUTCMinutes() % step === 0;
          let previous: number | null = null;
          for (let minute = Math.ceil(startDate / MINUTE) * MINUTE; minute <= now; minute += MINUTE) {
            if (!fires(minute)) continue;
            const startsInside = previous !== null && (endDate === null || previous <= endDate);
            if (startsInside && previous !== null && (cursor === null || previous > cursor)) {
              expected.push({ start: previous, end: minute });
            }
            previous = minute;
          }

          const due = grid.dueIntervals(cursor, now, 100_000);
          expect(due).toEqual(expected);
          expect(grid.lastDueInterval(cursor, now)).toEqual(expected.at(-1) ?? null);
          expect(grid.countDue(cursor, now, cap)).toBe(Math.min(cap, expected.length));
          expect(grid.dueIntervals(cursor, now, cap)).toEqual(expected.slice(0, cap));
          if (expected.length > 0) expect(grid.intervalAfter(cursor)).toEqual(expected[0]);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('CronSchedule backfill intervals', () => {
  it('lists one interval per fire time in the range, both ends included, ignoring the start date', () => {
    const daily = schedule('0 6 * * *', 'UTC', at('2027-01-01T00:00:00Z'));
    const intervals = daily.intervalsWithLogicalDateIn(
      at('2026-05-01T06:00:00Z'),
      at('2026-05-04T06:00:00Z'),
      10,
    );
    expect(intervals.map(isoInterval)).toEqual([
      { start: '2026-05-01T06:00:00.000Z', end: '2026-05-02T06:00:00.000Z' },
      { start: '2026-05-02T06:00:00.000Z', end: '2026-05-03T06:00:00.000Z' },
      { start: '2026-05-03T06:00:00.000Z', end: '2026-05-04T06:00:00.000Z' },
      { start: '2026-05-04T06:00:00.000Z', end: '2026-05-05T06:00:00.000Z' },
    ]);
  });

  it('keeps to the cron grid when the range starts between fire times', () => {
    const daily = schedule('0 6 * * *');
    const intervals = daily.intervalsWithLogicalDateIn(
      at('2026-05-01T07:00:00Z'),
      at('2026-05-03T05:00:00Z'),
      10,
    );
    expect(intervals.map((interval) => iso(interval.start))).toEqual(['2026-05-02T06:00:00.000Z']);
    expect(
      daily.intervalsWithLogicalDateIn(at('2026-05-01T07:00:00Z'), at('2026-05-02T05:00:00Z'), 10),
    ).toEqual([]);
  });

  it('refuses a range with more intervals than the limit, naming the limit', () => {
    const hourly = schedule('0 * * * *');
    expect(
      hourly.intervalsWithLogicalDateIn(at('2026-05-01T00:00:00Z'), at('2026-05-01T23:00:00Z'), 24),
    ).toHaveLength(24);
    expect(() =>
      hourly.intervalsWithLogicalDateIn(at('2026-05-01T00:00:00Z'), at('2026-05-02T00:00:00Z'), 24),
    ).toThrow(RangeError);
    expect(() =>
      hourly.intervalsWithLogicalDateIn(at('2026-05-01T00:00:00Z'), at('2026-05-02T00:00:00Z'), 24),
    ).toThrow(/limit is 24/);
  });
});
