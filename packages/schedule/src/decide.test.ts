import { describe, expect, it } from 'vitest';
import type { DataInterval } from './cron-schedule.js';
import { decideSchedule, type ScheduleInput } from './decide.js';

/** Interval k of an hourly grid starting at 0: [k h, (k+1) h). */
const hour = (k: number): DataInterval => ({ start: k * 3_600_000, end: (k + 1) * 3_600_000 });
const hours = (from: number, count: number) =>
  Array.from({ length: count }, (_, index) => hour(from + index));

function input(overrides: Partial<ScheduleInput>): ScheduleInput {
  const due = overrides.due ?? [];
  return {
    policy: 'buffer_all',
    catchup: true,
    due,
    latestDue: due.at(-1) ?? null,
    dueCount: due.length,
    active: 0,
    limit: Number.POSITIVE_INFINITY,
    buffered: null,
    maxCreate: 100,
    ...overrides,
  };
}

describe('decideSchedule with catchup', () => {
  it('allow creates every due interval up to max_active_runs; the rest wait', () => {
    expect(decideSchedule(input({ policy: 'allow', due: hours(0, 5), active: 1, limit: 3 }))).toEqual({
      create: [hour(0), hour(1)],
      skipped: 0,
      cancelActive: false,
      buffered: null,
      cursor: hour(1).start,
    });
  });

  it('allow waits with the cursor unmoved when max_active_runs are already active', () => {
    const decision = decideSchedule(input({ policy: 'allow', due: hours(0, 2), active: 2, limit: 2 }));
    expect(decision).toEqual({ create: [], skipped: 0, cancelActive: false, buffered: null, cursor: null });
  });

  it('skip creates one run when none is active and skips the other due intervals', () => {
    expect(decideSchedule(input({ policy: 'skip', due: hours(0, 3) }))).toEqual({
      create: [hour(0)],
      skipped: 2,
      cancelActive: false,
      buffered: null,
      cursor: hour(2).start,
    });
    expect(decideSchedule(input({ policy: 'skip', due: hours(0, 2), active: 1 }))).toMatchObject({
      create: [],
      skipped: 2,
      cursor: hour(1).start,
    });
  });

  it('buffer_all creates the first due interval and keeps the rest waiting in order', () => {
    expect(decideSchedule(input({ policy: 'buffer_all', due: hours(0, 3) }))).toEqual({
      create: [hour(0)],
      skipped: 0,
      cancelActive: false,
      buffered: null,
      cursor: hour(0).start,
    });
    expect(decideSchedule(input({ policy: 'buffer_all', due: hours(0, 3), active: 1 })).cursor).toBeNull();
  });

  it('buffer_one buffers one interval while a run is active and skips the others', () => {
    expect(decideSchedule(input({ policy: 'buffer_one', due: hours(0, 3), active: 1 }))).toEqual({
      create: [],
      skipped: 2,
      cancelActive: false,
      buffered: hour(0),
      cursor: hour(2).start,
    });
  });

  it('buffer_one runs the buffered interval first once no run is active, then buffers the next', () => {
    expect(decideSchedule(input({ policy: 'buffer_one', due: hours(3, 2), buffered: hour(1) }))).toEqual({
      create: [hour(1)],
      skipped: 1,
      cancelActive: false,
      buffered: hour(3),
      cursor: hour(4).start,
    });
  });

  it('buffer_one runs a buffered interval even when nothing new is due', () => {
    expect(decideSchedule(input({ policy: 'buffer_one', buffered: hour(1) }))).toEqual({
      create: [hour(1)],
      skipped: 0,
      cancelActive: false,
      buffered: null,
      cursor: null,
    });
  });

  it('cancel_previous cancels the active run and runs only the newest due interval', () => {
    const due = hours(0, 3);
    expect(
      decideSchedule(input({ policy: 'cancel_previous', due, latestDue: hour(9), dueCount: 10, active: 1 })),
    ).toEqual({
      create: [hour(9)],
      skipped: 9,
      cancelActive: true,
      buffered: null,
      cursor: hour(9).start,
    });
    expect(decideSchedule(input({ policy: 'cancel_previous', due: hours(0, 1) }))).toMatchObject({
      create: [hour(0)],
      skipped: 0,
      cancelActive: false,
    });
  });

  it('creates at most maxCreate runs per pass and keeps the rest due, not skipped', () => {
    expect(decideSchedule(input({ policy: 'allow', due: hours(0, 5), maxCreate: 2 }))).toEqual({
      create: [hour(0), hour(1)],
      skipped: 0,
      cancelActive: false,
      buffered: null,
      cursor: hour(1).start,
    });
    expect(decideSchedule(input({ policy: 'skip', due: hours(0, 3), maxCreate: 0 }))).toEqual({
      create: [],
      skipped: 0,
      cancelActive: false,
      buffered: null,
      cursor: null,
    });
  });
});

describe('decideSchedule without catchup', () => {
  it('runs only the newest due interval and counts the ones before it as skipped', () => {
    const decision = decideSchedule(
      input({ policy: 'allow', catchup: false, due: hours(0, 3), latestDue: hour(99), dueCount: 100 }),
    );
    expect(decision).toEqual({
      create: [hour(99)],
      skipped: 99,
      cancelActive: false,
      buffered: null,
      cursor: hour(99).start,
    });
  });

  it('keeps the newest interval waiting but moves the cursor past the skipped ones when it cannot run yet', () => {
    const decision = decideSchedule(
      input({
        policy: 'buffer_all',
        catchup: false,
        due: hours(0, 3),
        latestDue: hour(5),
        dueCount: 6,
        active: 1,
      }),
    );
    expect(decision).toEqual({
      create: [],
      skipped: 5,
      cancelActive: false,
      buffered: null,
      cursor: hour(5).start - 1,
    });
  });

  it('skips the newest interval too under skip while a run is active', () => {
    const decision = decideSchedule(
      input({ policy: 'skip', catchup: false, due: hours(0, 2), latestDue: hour(1), dueCount: 2, active: 1 }),
    );
    expect(decision).toMatchObject({ create: [], skipped: 2, cursor: hour(1).start });
  });

  it('does nothing when nothing is due', () => {
    expect(decideSchedule(input({ policy: 'allow', catchup: false }))).toEqual({
      create: [],
      skipped: 0,
      cancelActive: false,
      buffered: null,
      cursor: null,
    });
  });
});

describe('decideSchedule after a policy change', () => {
  it('treats an interval left buffered by buffer_one as the oldest due one under buffer_all', () => {
    expect(
      decideSchedule(input({ policy: 'buffer_all', due: hours(3, 2), buffered: hour(1) })),
    ).toMatchObject({
      create: [hour(1)],
      buffered: null,
      cursor: null,
    });
  });
});
