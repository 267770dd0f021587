import { Code, TributaryError } from '@tributary/core';
import { Cron } from 'croner';
import { checkCronExpression, checkTimezone } from './check.js';

/**
 * The span of time one scheduled run processes (Airflow's data interval): from one fire time of the
 * schedule to the next, `start` inclusive, `end` exclusive, both epoch ms. `start` is the run's
 * logical date; the run comes due at `end`, when the interval has closed.
 */
export interface DataInterval {
  start: number;
  end: number;
}

/** What a {@link CronSchedule} is built from. */
export interface CronScheduleOptions {
  /** A cron expression of 5 fields (minute first) or 6 (second first), or a preset such as `@daily`. */
  cron: string;
  /** The IANA time zone the expression is read in, e.g. `Europe/Berlin`. */
  timezone: string;
  /** Epoch ms; the first data interval starts at the first fire time at or after it. */
  startDate: number;
  /** Epoch ms; no data interval starts after it. `null`: the schedule never ends. */
  endDate: number | null;
}

/**
 * A cron expression in a time zone, read as a sequence of data intervals. Let f0 < f1 < ... be the
 * fire times of the expression, f0 the first at or after `startDate`: interval k is [f_k, f_{k+1}),
 * it exists while f_k <= `endDate` and comes due at f_{k+1}.
 *
 * Daylight saving time is croner's: a local time inside a spring-forward gap fires at the first valid
 * instant after it, a local time that occurs twice at fall-back fires once, at the earlier instant, and
 * an hourly expression fires every real hour (see cron-schedule.test.ts). Pure: the clock is passed in.
 */
export class CronSchedule {
  readonly cron: string;
  readonly timezone: string;
  readonly startDate: number;
  readonly endDate: number | null;
  readonly #pattern: Cron;

  /** @throws TributaryError (INVALID_ARGUMENT) naming the expression or time zone that is not valid. */
  constructor(options: CronScheduleOptions) {
    const problem = checkCronExpression(options.cron) ?? checkTimezone(options.timezone);
    if (problem !== null) throw new TributaryError(Code.InvalidArgument, `schedule: ${problem}`);
    if (!Number.isFinite(options.startDate)) {
      throw new TributaryError(
        Code.InvalidArgument,
        `schedule: startDate ${options.startDate} is not a time`,
      );
    }
    this.cron = options.cron;
    this.timezone = options.timezone;
    this.startDate = options.startDate;
    this.endDate = options.endDate;
    this.#pattern = new Cron(options.cron, {
      paused: true,
      mode: '5-or-6-parts',
      timezone: options.timezone,
    });
  }

  /** The first data interval whose start is after `cursor` (`null`: the first interval), or null when the schedule has ended. */
  intervalAfter(cursor: number | null): DataInterval | null {
    const start = this.#firstStartAfter(cursor);
    return start === null ? null : this.#intervalAt(start);
  }

  /** The data intervals after `cursor` that are due at `now` (end <= now), in order, at most `limit` (the earliest). */
  dueIntervals(cursor: number | null, now: number, limit: number): DataInterval[] {
    const due: DataInterval[] = [];
    let interval = due.length < limit ? this.intervalAfter(cursor) : null;
    while (interval !== null && interval.end <= now && due.length < limit) {
      due.push(interval);
      interval = this.#startsWithinSchedule(interval.end) ? this.#intervalAt(interval.end) : null;
    }
    return due;
  }

  /**
   * The latest data interval after `cursor` that is due at `now`, or null. Walks back from `now`, so it
   * costs the same whether one interval is due or a year of per-second intervals.
   */
  lastDueInterval(cursor: number | null, now: number): DataInterval | null {
    const lastFire = this.#fireAtOrBefore(now);
    if (lastFire === null) return null;
    let start = this.#fireAtOrBefore(lastFire - 1);
    if (start !== null && this.endDate !== null && start > this.endDate) {
      start = this.#fireAtOrBefore(this.endDate);
    }
    const earliest = this.#firstStartAfter(cursor);
    if (start === null || earliest === null || start < earliest) return null;
    return this.#intervalAt(start);
  }

  /** How many data intervals after `cursor` are due at `now`, counting at most `cap`. */
  countDue(cursor: number | null, now: number, cap: number): number {
    return this.dueIntervals(cursor, now, cap).length;
  }

  /**
   * The intervals of a backfill: one per fire time f with `from` <= f <= `to`, each [f, next fire
   * time). `startDate` and `endDate` do not apply; the cron grid does.
   * @throws RangeError when more than `limit` intervals fall in the range.
   */
  intervalsWithLogicalDateIn(from: number, to: number, limit: number): DataInterval[] {
    const intervals: DataInterval[] = [];
    let start = this.#fireAtOrAfter(from);
    while (start !== null && start <= to) {
      if (intervals.length === limit) {
        throw new RangeError(
          `schedule '${this.cron}' (${this.timezone}) has more than ${limit} intervals with a logical date from ${new Date(from).toISOString()} to ${new Date(to).toISOString()}: the limit is ${limit}`,
        );
      }
      const end = this.#fireAfter(start);
      if (end === null) break;
      intervals.push({ start, end });
      start = end;
    }
    return intervals;
  }

  /** The start of the first interval of the schedule after `cursor`, or null when there is none. */
  #firstStartAfter(cursor: number | null): number | null {
    const from = cursor === null ? this.startDate : Math.max(this.startDate, cursor + 1);
    const start = this.#fireAtOrAfter(from);
    return start !== null && this.#startsWithinSchedule(start) ? start : null;
  }

  #startsWithinSchedule(start: number): boolean {
    return this.endDate === null || start <= this.endDate;
  }

  /** The interval starting at fire time `start`, or null when no fire time follows it (it never closes). */
  #intervalAt(start: number): DataInterval | null {
    const end = this.#fireAfter(start);
    return end === null ? null : { start, end };
  }

  // croner works in whole seconds: nextRun(t) is the first fire time after t (milliseconds stripped) and
  // previousRuns(1, t) the last one before t with its milliseconds stripped, so `t + 1000` includes t.

  #fireAfter(time: number): number | null {
    return this.#pattern.nextRun(new Date(time))?.getTime() ?? null;
  }

  #fireAtOrAfter(time: number): number | null {
    return this.#fireAfter(time - 1);
  }

  #fireAtOrBefore(time: number): number | null {
    return this.#pattern.previousRuns(1, new Date(time + 1000))[0]?.getTime() ?? null;
  }
}
