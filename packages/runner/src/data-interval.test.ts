import { Code, TributaryError } from '@tributary/core';
import type { DagModel, ScheduleModel } from '@tributary/spec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataIntervalFor } from './data-interval.js';

function dagWith(schedule: Pick<ScheduleModel, 'cron' | 'timezone'> | null): DagModel {
  return {
    name: 'd',
    paramsSchema: { type: 'object' },
    tasks: [],
    specFile: 'dag.yaml',
    dagrunTimeoutMs: null,
    maxActiveTasks: null,
    maxActiveTasksPerRun: null,
    maxActiveRuns: null,
    schedule:
      schedule === null
        ? null
        : { ...schedule, startDate: null, endDate: null, catchup: true, overlap: 'buffer_all' },
  };
}

const QUARTER_HOUR = 15 * 60_000;
const EVERY_QUARTER_HOUR = dagWith({ cron: '*/15 * * * *', timezone: 'UTC' });
// 2000-01-01 to 2100-01-01, in quarter hours.
const quarters = fc.integer({ min: 946_684_800_000 / QUARTER_HOUR, max: 4_102_444_800_000 / QUARTER_HOUR });

function thrownBy(action: () => unknown): TributaryError {
  try {
    action();
  } catch (error) {
    if (error instanceof TributaryError) return error;
    throw error;
  }
  throw new Error('expected a TributaryError, nothing was thrown');
}

describe('dataIntervalFor', () => {
  it('is [date, next fire time) for any fire time of the schedule', () => {
    fc.assert(
      fc.property(quarters, (quarter) => {
        const date = quarter * QUARTER_HOUR;
        expect(dataIntervalFor(EVERY_QUARTER_HOUR, date)).toEqual({ start: date, end: date + QUARTER_HOUR });
      }),
    );
  });

  it('refuses any other date, naming the fire times just before and after it', () => {
    fc.assert(
      fc.property(quarters, fc.integer({ min: 1, max: QUARTER_HOUR - 1 }), (quarter, offset) => {
        const before = quarter * QUARTER_HOUR;
        const error = thrownBy(() => dataIntervalFor(EVERY_QUARTER_HOUR, before + offset));
        expect(error.code).toBe(Code.InvalidArgument);
        expect(error.problems).toHaveLength(1);
        expect(error.problems[0]?.field).toBe('logicalDate');
        const after = new Date(before + QUARTER_HOUR).toISOString();
        expect(error.message).toContain(`${new Date(before).toISOString()} before it and ${after} after it`);
      }),
    );
  });

  it('reads the cron expression in the time zone of the schedule', () => {
    const berlin = dagWith({ cron: '0 6 * * *', timezone: 'Europe/Berlin' });
    // Clocks go back in the night to 2026-10-25: the interval from the 24th is 25 hours long.
    expect(dataIntervalFor(berlin, Date.parse('2026-10-24T04:00:00Z'))).toEqual({
      start: Date.parse('2026-10-24T04:00:00Z'),
      end: Date.parse('2026-10-25T05:00:00Z'),
    });
    // 04:00 UTC was 06:00 in Berlin on the 24th; on the 25th it is 05:00, an hour before the fire time.
    const error = thrownBy(() => dataIntervalFor(berlin, Date.parse('2026-10-25T04:00:00Z')));
    expect(error.message).toContain("not a fire time of the schedule '0 6 * * *' (Europe/Berlin)");
    expect(error.message).toContain(
      '2026-10-24T04:00:00.000Z before it and 2026-10-25T05:00:00.000Z after it',
    );
  });

  it('is [date, date] for a DAG without a schedule, whatever the date', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (date) => {
        expect(dataIntervalFor(dagWith(null), date)).toEqual({ start: date, end: date });
      }),
    );
  });

  it('refuses a date that is not a time', () => {
    const error = thrownBy(() => dataIntervalFor(dagWith(null), Number.NaN));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).toBe('logical date NaN is not a time');
  });
});
