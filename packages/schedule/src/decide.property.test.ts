import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CronSchedule, type DataInterval } from './cron-schedule.js';
import { decideSchedule } from './decide.js';
import { OVERLAP_POLICIES, type OverlapPolicy } from './policies.js';

const MINUTE = 60_000;
const START = Date.parse('2026-03-01T00:00:00Z');
/** Large enough that the skipped counts of these short simulations are exact. */
const COUNT_CAP = 100_000;

interface Pass {
  /** How far the clock moves before the pass. */
  advance: number;
  /** Bit i set: the i-th active run finishes before the pass. */
  finishMask: number;
}

interface Simulation {
  schedule: CronSchedule;
  policy: OverlapPolicy;
  catchup: boolean;
  limit: number;
  maxCreate: number;
  dueLimit: number;
}

interface PassRecord {
  created: DataInterval[];
  /** Runs active once the pass's cancellations and creations are applied. */
  activeAfter: number;
}

/** The state a scheduler keeps between passes for one DAG. */
class SimulatedScheduler {
  cursor: number | null = null;
  buffered: DataInterval | null = null;
  active: DataInterval[] = [];
  now = START;
  readonly created: DataInterval[] = [];
  skipped = 0;

  constructor(private readonly simulation: Simulation) {}

  pass(finish: (run: DataInterval, index: number) => boolean): PassRecord {
    this.active = this.active.filter((run, index) => !finish(run, index));
    const { schedule, policy, catchup, limit, maxCreate, dueLimit } = this.simulation;
    const decision = decideSchedule({
      policy,
      catchup,
      due: schedule.dueIntervals(this.cursor, this.now, dueLimit),
      latestDue: schedule.lastDueInterval(this.cursor, this.now),
      dueCount: schedule.countDue(this.cursor, this.now, COUNT_CAP),
      active: this.active.length,
      limit,
      buffered: this.buffered,
      maxCreate,
    });
    if (decision.cancelActive) this.active = [];
    this.active.push(...decision.create);
    this.created.push(...decision.create);
    this.skipped += decision.skipped;
    this.buffered = decision.buffered;
    if (decision.cursor !== null) this.cursor = decision.cursor;
    return { created: decision.create, activeAfter: this.active.length };
  }
}

const simulationArbitrary = fc.record({
  step: fc.integer({ min: 2, max: 30 }),
  policy: fc.constantFrom(...OVERLAP_POLICIES),
  catchup: fc.boolean(),
  limit: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(Number.POSITIVE_INFINITY)),
  maxCreate: fc.integer({ min: 1, max: 5 }),
  dueLimit: fc.integer({ min: 1, max: 8 }),
  passes: fc.array(
    fc.record({ advance: fc.integer({ min: 0, max: 30 * MINUTE }), finishMask: fc.nat({ max: 255 }) }),
    { minLength: 1, maxLength: 20 },
  ),
});

function simulate(step: number, options: Omit<Simulation, 'schedule'>, passes: Pass[]) {
  const schedule = new CronSchedule({
    cron: `*/${step} * * * *`,
    timezone: 'UTC',
    startDate: START,
    endDate: null,
  });
  const scheduler = new SimulatedScheduler({ schedule, ...options });
  const records = passes.map(({ advance, finishMask }) => {
    scheduler.now += advance;
    return scheduler.pass((_run, index) => (finishMask & (1 << index)) !== 0);
  });
  return { schedule, scheduler, records };
}

describe('decideSchedule over repeated passes', () => {
  it('never creates more than maxCreate runs in a pass, never one interval twice, and always in order', () => {
    fc.assert(
      fc.property(simulationArbitrary, ({ step, passes, ...options }) => {
        const { scheduler, records } = simulate(step, options, passes);
        for (const record of records) expect(record.created.length).toBeLessThanOrEqual(options.maxCreate);
        const starts = scheduler.created.map((interval) => interval.start);
        expect(new Set(starts).size).toBe(starts.length);
        for (let index = 1; index < starts.length; index += 1) {
          expect(starts[index]).toBeGreaterThan(starts[index - 1] as number);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('never has two runs active under skip, buffer_one, buffer_all or cancel_previous, nor more than the limit under allow', () => {
    fc.assert(
      fc.property(simulationArbitrary, ({ step, passes, ...options }) => {
        const { records } = simulate(step, options, passes);
        const most = options.policy === 'allow' ? options.limit : 1;
        for (const record of records) expect(record.activeAfter).toBeLessThanOrEqual(most);
      }),
      { numRuns: 200 },
    );
  });

  it('with catchup, buffer_all and allow eventually create every interval that came due, skipping none', () => {
    fc.assert(
      fc.property(
        simulationArbitrary,
        fc.constantFrom<OverlapPolicy>('buffer_all', 'allow'),
        ({ step, passes, ...options }, policy) => {
          const { schedule, scheduler } = simulate(step, { ...options, policy, catchup: true }, passes);
          // Let every run finish and pass again without moving the clock, until nothing more is due.
          for (let drain = 0; drain < 1000; drain += 1) {
            const { created } = scheduler.pass(() => true);
            if (created.length === 0 && scheduler.active.length === 0) break;
          }
          const cameDue = schedule.dueIntervals(null, scheduler.now, COUNT_CAP);
          expect(scheduler.created).toEqual(cameDue);
          expect(scheduler.skipped).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('accounts for every interval that came due as created, skipped, buffered or still waiting', () => {
    fc.assert(
      fc.property(simulationArbitrary, ({ step, passes, ...options }) => {
        const { schedule, scheduler } = simulate(step, options, passes);
        const cameDue = schedule.countDue(null, scheduler.now, COUNT_CAP);
        const waiting = schedule.countDue(scheduler.cursor, scheduler.now, COUNT_CAP);
        const held = scheduler.buffered === null ? 0 : 1;
        expect(scheduler.created.length + scheduler.skipped + held + waiting).toBe(cameDue);
      }),
      { numRuns: 200 },
    );
  });
});
