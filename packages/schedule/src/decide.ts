import type { DataInterval } from './cron-schedule.js';
import type { OverlapPolicy } from './policies.js';

/** What one scheduler pass knows about one DAG. */
export interface ScheduleInput {
  policy: OverlapPolicy;
  /** Whether every due interval runs (true) or only the newest (false). */
  catchup: boolean;
  /** The earliest due intervals after the cursor, in order: `CronSchedule.dueIntervals`. */
  due: DataInterval[];
  /** The newest due interval after the cursor: `CronSchedule.lastDueInterval`. Later than the last of `due` when `due` was cut at its limit. */
  latestDue: DataInterval | null;
  /**
   * How many intervals are due after the cursor: `CronSchedule.countDue` with a cap. Only the count of
   * the intervals that are skipped in favour of the newest (catchup off, or `cancel_previous`) depends
   * on it; a capped count makes that `skipped` a lower bound, never a wrong cursor.
   */
  dueCount: number;
  /** Scheduled runs of the DAG that are queued or running now. */
  active: number;
  /** How many scheduled runs may be active at once under `allow`: the DAG's max_active_runs, `Infinity` when it has none. */
  limit: number;
  /** The interval `buffer_one` holds back, or null. */
  buffered: DataInterval | null;
  /** The most runs one pass creates; the rest wait for the next pass. */
  maxCreate: number;
}

/** What one scheduler pass does for one DAG. */
export interface ScheduleDecision {
  /** The intervals to create scheduled runs for, in order. */
  create: DataInterval[];
  /** How many due intervals will never run. */
  skipped: number;
  /** Whether the DAG's active scheduled runs are to be cancelled (`cancel_previous`). */
  cancelActive: boolean;
  /** The interval `buffer_one` holds back from now on, or null. */
  buffered: DataInterval | null;
  /**
   * Where the next pass starts looking (`CronSchedule.dueIntervals(cursor, ...)`): the start of the
   * last interval handled (created, skipped or buffered); null when nothing was handled, so the caller
   * keeps its old cursor. When catchup is off and the newest interval must wait, it is one millisecond
   * before that interval, so the skipped ones before it are not counted again.
   */
  cursor: number | null;
}

type Step = 'create' | 'skip' | 'buffer' | 'wait';

/**
 * Decides one scheduler pass of one DAG: which due intervals get a scheduled run now, which are skipped,
 * which wait. Pure. Intervals are handled in order, each as if it had just come due, with `active`
 * growing as runs are created:
 * - `allow`: create while fewer than `limit` runs are active, else the rest wait.
 * - `skip`: create when no run is active, else skip it.
 * - `buffer_all`: create when no run is active, else the rest wait, in order.
 * - `buffer_one`: the buffered interval is created first once no run is active; then each due interval
 *   is created when no run is active, else buffered when nothing is, else skipped.
 * - `cancel_previous`: always runs only the newest due interval (earlier due ones are skipped),
 *   cancelling whatever scheduled run is still going.
 *
 * With catchup off only the newest due interval is considered; the ones before it are skipped. No pass
 * creates more than `maxCreate` runs: an interval that would be created beyond that waits for the next
 * pass (it is not skipped).
 */
export function decideSchedule(input: ScheduleInput): ScheduleDecision {
  if (input.policy === 'cancel_previous') return decideCancelPrevious(input);
  const newestOnly = !input.catchup;
  const considered = newestOnly ? (input.latestDue === null ? [] : [input.latestDue]) : input.due;
  const decision: ScheduleDecision = {
    create: [],
    skipped: newestOnly && input.latestDue !== null ? Math.max(0, input.dueCount - 1) : 0,
    cancelActive: false,
    buffered: input.buffered,
    cursor: null,
  };
  let active = input.active;
  const canCreate = () => decision.create.length < input.maxCreate;

  // An interval held back by buffer_one (or left over from before a policy change) is older than every
  // due one, so it goes first; it was handled when it was buffered, so it never moves the cursor.
  const held = decision.buffered;
  if (held !== null) {
    // Under buffer_one it stays buffered while a run is active; any other policy treats it as due.
    let step = stepFor(input.policy, active, input.limit, false);
    if (step === 'create' && !canCreate()) step = 'wait';
    if (step === 'wait') return finishWaiting(decision, input, newestOnly);
    if (step !== 'buffer') decision.buffered = null;
    if (step === 'create') {
      decision.create.push(held);
      active += 1;
    } else if (step === 'skip') {
      decision.skipped += 1;
    }
  }

  for (const interval of considered) {
    let step = stepFor(input.policy, active, input.limit, decision.buffered !== null);
    if (step === 'create' && !canCreate()) step = 'wait';
    if (step === 'wait') return finishWaiting(decision, input, newestOnly);
    if (step === 'create') {
      decision.create.push(interval);
      active += 1;
    } else if (step === 'buffer') {
      decision.buffered = interval;
    } else {
      decision.skipped += 1;
    }
    decision.cursor = interval.start;
  }
  return decision;
}

/** What `policy` does with the next interval while `active` scheduled runs are active. */
function stepFor(policy: OverlapPolicy, active: number, limit: number, holdsBuffered: boolean): Step {
  switch (policy) {
    case 'allow':
      return active < limit ? 'create' : 'wait';
    case 'skip':
      return active === 0 ? 'create' : 'skip';
    case 'buffer_all':
      return active === 0 ? 'create' : 'wait';
    case 'buffer_one':
      if (active === 0) return 'create';
      return holdsBuffered ? 'skip' : 'buffer';
    case 'cancel_previous':
      return 'create';
  }
}

/**
 * Stops the pass at an interval that must wait. With catchup off the waiting interval is the newest
 * due one and the skipped ones lie before it: the cursor moves to just before it so they are not
 * counted again, while it stays due.
 */
function finishWaiting(
  decision: ScheduleDecision,
  input: ScheduleInput,
  newestOnly: boolean,
): ScheduleDecision {
  if (newestOnly && input.latestDue !== null && decision.skipped > 0) {
    decision.cursor = input.latestDue.start - 1;
  }
  return decision;
}

function decideCancelPrevious(input: ScheduleInput): ScheduleDecision {
  const newest = input.latestDue;
  // The buffered interval of another policy is older than anything due: it is skipped with them.
  const leftOver = input.buffered === null ? 0 : 1;
  if (newest === null || input.maxCreate < 1) {
    return { create: [], skipped: 0, cancelActive: false, buffered: input.buffered, cursor: null };
  }
  return {
    create: [newest],
    skipped: Math.max(0, input.dueCount - 1) + leftOver,
    cancelActive: input.active > 0,
    buffered: null,
    cursor: newest.start,
  };
}
