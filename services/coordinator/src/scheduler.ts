import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from '@tributary/core';
import {
  type AfterEventWrite,
  activeScheduledRuns,
  type Database,
  loadAfterEvents,
  loadScheduledDags,
  pausedDags,
  type ScheduledDagRow,
  type ScheduleStateWrite,
} from '@tributary/db';
import { CronSchedule, type DataInterval, decideSchedule } from '@tributary/schedule';
import { type ScheduleModel, validateParams } from '@tributary/spec';
import type { ActiveRuns, LoadedVersion } from './active-runs.js';
import type { AfterIndex } from './after-index.js';
import type { Clock } from './clock.js';
import type { NewRunRequest } from './new-runs.js';
import type { RunLoop, SchedulePass } from './run-loop.js';

/** Most runs one DAG's schedule creates in one pass: a long catchup goes out over several ticks. */
export const MAX_RUNS_PER_PASS = 64;
/** Most due intervals a pass counts to report how many it skipped (counting walks them one by one). */
const MAX_SKIPPED_COUNTED = 10_000;
/**
 * Longest the scheduler sleeps between passes: how soon it notices a deployment, an unpause, or a run
 * that ended and lets a buffered interval start.
 */
export const MAX_PASS_INTERVAL_MS = 1_000;

export interface SchedulerDeps {
  db: Database;
  loop: RunLoop;
  runs: ActiveRuns;
  afterIndex: AfterIndex;
  clock: Clock;
  logger: Logger;
  /** Told how late each scheduled run started after its data interval closed, in seconds. @default none */
  onScheduledRunLag?: (seconds: number) => void;
}

/**
 * Starts the runs that schedules and `after` triggers call for. Each pass reads every scheduled DAG's
 * state from Postgres, decides (packages/schedule) which data intervals to run, skip or buffer, and hands
 * the runs and the new state to the run loop as one `SchedulePass`: one transaction, so a crash keeps
 * either both or neither, and the unique (dag, logical date) key makes a second run of an interval
 * impossible whoever creates it. Only the leader runs it.
 */
export class Scheduler {
  readonly #deps: SchedulerDeps;

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
  }

  /** Runs passes until the signal aborts, each as soon as the next interval is due (at most a second apart). */
  async run(signal: AbortSignal): Promise<void> {
    const { clock, logger } = this.#deps;
    while (!signal.aborted) {
      let nextDueAt = Number.POSITIVE_INFINITY;
      try {
        nextDueAt = await this.pass();
      } catch (error) {
        logger.warn('scheduler pass failed; trying again', { error: String(error) });
      }
      const wait = Math.min(MAX_PASS_INTERVAL_MS, Math.max(0, nextDueAt - clock.now()));
      await clock.sleep(wait, signal);
    }
  }

  /** One pass over every scheduled DAG and every `after` trigger. Resolves with when the next pass is due. */
  async pass(): Promise<number> {
    const { db, clock } = this.#deps;
    const [scheduled, active] = await Promise.all([loadScheduledDags(db.sql), activeScheduledRuns(db.sql)]);
    const now = clock.now();
    const pass: MutablePass = { runs: [], states: [], cancels: [], afterConsumed: [] };
    let nextDueAt = Number.POSITIVE_INFINITY;
    for (const row of scheduled) {
      if (row.paused) continue;
      const version = await this.#deps.runs.version(row.dag, row.version);
      if (!version) continue;
      const planned = this.#planSchedule(row, version, active.get(row.dag) ?? [], now, pass);
      nextDueAt = Math.min(nextDueAt, planned);
    }
    await this.#planAfterTriggers(pass, now);
    if (pass.runs.length > 0 || pass.states.length > 0 || pass.cancels.length > 0) {
      const outcomes = await this.#deps.loop.schedule(pass);
      this.#reportLag(
        pass.runs,
        outcomes.map((o) => o.created),
        clock.now(),
      );
    }
    return nextDueAt;
  }

  /** Adds one DAG's schedule decision to the pass; returns when the next pass should look at it again. */
  #planSchedule(
    row: ScheduledDagRow,
    version: LoadedVersion,
    activeRunIds: readonly string[],
    now: number,
    pass: MutablePass,
  ): number {
    const model = row.schedule as unknown as ScheduleModel;
    const schedule = new CronSchedule({
      cron: model.cron,
      timezone: model.timezone,
      startDate: model.startDate ?? row.firstSeenAt,
      endDate: model.endDate,
    });
    const decision = decideSchedule({
      policy: model.overlap,
      catchup: model.catchup,
      due: schedule.dueIntervals(row.cursor, now, MAX_RUNS_PER_PASS),
      latestDue: schedule.lastDueInterval(row.cursor, now),
      // Only for counting what catchup: false skips; beyond the cap the count is a lower bound.
      dueCount: schedule.countDue(row.cursor, now, MAX_SKIPPED_COUNTED),
      active: activeRunIds.length,
      limit: row.maxActiveRuns ?? Number.POSITIVE_INFINITY,
      buffered: row.buffered === null ? null : schedule.intervalAfter(row.buffered - 1),
      maxCreate: MAX_RUNS_PER_PASS,
    });
    const params = defaultParams(version);
    for (const interval of decision.create) pass.runs.push(scheduledRun(version, params, interval));
    if (decision.cancelActive) {
      for (const runId of activeRunIds)
        pass.cancels.push({ runId, reason: 'a newer scheduled run started (overlap: cancel_previous)' });
    }
    const cursor = decision.cursor ?? row.cursor;
    const bufferedStart = decision.buffered?.start ?? null;
    if (
      cursor !== null &&
      (cursor !== row.cursor || bufferedStart !== row.buffered || decision.skipped > 0)
    ) {
      const state: ScheduleStateWrite = {
        dag: row.dag,
        cursor,
        buffered: bufferedStart,
        skipped: decision.skipped,
      };
      pass.states.push(state);
    }
    // More may be due than one pass creates: the next pass goes on at once.
    if (decision.create.length >= MAX_RUNS_PER_PASS) return now;
    const next = schedule.intervalAfter(cursor)?.end ?? Number.POSITIVE_INFINITY;
    // An interval already due waits for a run to end (overlap, max_active_runs): look again in a while,
    // not in a busy loop.
    return next > now ? next : now + MAX_PASS_INTERVAL_MS;
  }

  /**
   * Refreshes the `after` index from the latest versions and adds a run for every DAG whose `after`
   * entries all have a recorded success, using those successes up.
   */
  async #planAfterTriggers(pass: MutablePass, now: number): Promise<void> {
    const { db, runs, afterIndex } = this.#deps;
    const waiting = await afterIndex.reload(db);
    if (waiting.length === 0) return;
    const [events, paused] = await Promise.all([
      loadAfterEvents(db.sql),
      pausedDags(
        db.sql,
        waiting.map((w) => w.dag),
      ),
    ]);
    for (const { dag, after } of waiting) {
      if (paused.has(dag)) continue;
      const recorded = after.map((source) =>
        events.find((e) => e.dag === dag && e.sourceDag === source.dag && e.sourceTask === source.task),
      );
      if (recorded.some((event) => event === undefined)) continue;
      const used = recorded as AfterEventWrite[];
      const version = await runs.version(dag, 0);
      if (!version) continue;
      pass.runs.push({
        runId: randomUUID(),
        version,
        params: defaultParams(version),
        requestId: afterRequestId(dag, used),
        origin: { type: 'after', logicalDate: now, dataIntervalEnd: now },
      });
      pass.afterConsumed.push(...used);
    }
  }

  #reportLag(runs: readonly NewRunRequest[], created: readonly boolean[], now: number): void {
    const report = this.#deps.onScheduledRunLag;
    if (report === undefined) return;
    runs.forEach((run, i) => {
      if (created[i] && run.origin?.type === 'scheduled')
        report(Math.max(0, now - run.origin.dataIntervalEnd) / 1000);
    });
  }
}

/** Longest `after` run key kept readable; a longer one is hashed (a unique index entry has a size limit). */
const MAX_PLAIN_AFTER_KEY_BYTES = 512;

/**
 * The request id of the run that uses these successes: a pass repeated after a failed tick (or by the
 * next leader) finds the run it already started instead of starting a second one.
 */
function afterRequestId(dag: string, used: readonly AfterEventWrite[]): string {
  const sources = used.map((event) => `${event.sourceRunId}/${event.sourceTask}`).join(',');
  return Buffer.byteLength(sources) > MAX_PLAIN_AFTER_KEY_BYTES
    ? `after:${dag}:sha256:${createHash('sha256').update(sources).digest('hex')}`
    : `after:${dag}:${sources}`;
}

type MutablePass = {
  runs: NewRunRequest[];
  states: ScheduleStateWrite[];
  cancels: { runId: string; reason: string }[];
  afterConsumed: AfterEventWrite[];
} & SchedulePass;

/** The run for one data interval of a DAG's schedule. */
export function scheduledRun(
  version: LoadedVersion,
  params: NewRunRequest['params'],
  interval: DataInterval,
  type: 'scheduled' | 'backfill' = 'scheduled',
): NewRunRequest {
  return {
    runId: randomUUID(),
    version,
    params,
    requestId: null,
    origin: { type, logicalDate: interval.start, dataIntervalEnd: interval.end },
  };
}

/**
 * The params of a run nobody gave params to: the schema's defaults. The spec refuses a schedule or
 * `after` on a DAG with a param without default, so these always validate.
 */
export function defaultParams(version: LoadedVersion): NewRunRequest['params'] {
  return validateParams(version.model, {}).params;
}
