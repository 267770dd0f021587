import { type Bus, subjectMatches, type TriggerMessage, triggerSubjectProblem } from '@tributary/bus';
import { Code, type JsonObject, type Logger, TributaryError } from '@tributary/core';
import { type Database, insertRejectedEvents, latestEventTriggers, pausedDags } from '@tributary/db';
import type { ActiveRuns } from './active-runs.js';
import type { CoordinatorMetrics } from './coordinator-metrics.js';
import { type EventTriggerTarget, planEventTriggers } from './event-triggers-plan.js';
import type { RunLoop } from './run-loop.js';
import { sleep } from './sleep.js';

/** How often the leader compares the DAGs' `on` subjects with what the trigger stream captures. */
export const TRIGGER_SUBJECTS_CHECK_MS = 3_000;
/**
 * How often the leader applies the subjects even when they did not change: heals a stream changed
 * behind its back (a registration that updated it but never stored its version, a deleted stream).
 */
export const TRIGGER_STREAM_RESYNC_MS = 60_000;
/** The same consumer or stream error is logged at most this often. */
const REPEATED_ERROR_LOG_MS = 60_000;

export interface EventTriggersDeps {
  db: Database;
  bus: Bus;
  loop: Pick<RunLoop, 'schedule'>;
  runs: Pick<ActiveRuns, 'version'>;
  logger: Logger;
  metrics: Pick<CoordinatorMetrics, 'triggerEvents'>;
}

/**
 * Starts a run for each message on a DAG's `on` subject. The leader runs it: it keeps the trigger
 * stream's subjects in line with the latest versions' `on` subjects, and consumes the stream while any
 * DAG has one. Each batch of messages becomes one `SchedulePass` (one transaction), acked once it is
 * committed; a message's run has a request id of its stream sequence (or its dedupe key), so a
 * redelivered message starts no second run.
 */
export class EventTriggers {
  readonly #deps: EventTriggersDeps;
  readonly #streamErrors: ErrorLog;
  readonly #consumerErrors: ErrorLog;
  readonly #refusedSubjects: ErrorLog;

  constructor(deps: EventTriggersDeps) {
    this.#deps = deps;
    this.#streamErrors = errorLog(deps.logger, 'cannot update the event trigger stream; trying again');
    this.#consumerErrors = errorLog(deps.logger, 'event trigger consumer');
    this.#refusedSubjects = errorLog(deps.logger, 'event trigger subjects left out of the stream');
  }

  /** Keeps the stream and the consumer going until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let consumer: { stop: AbortController; done: Promise<void> } | undefined;
    const stopConsuming = async () => {
      consumer?.stop.abort();
      await consumer?.done;
      consumer = undefined;
    };
    let applied: string | undefined;
    let appliedAt = 0;
    const retained = new RetainedSubjects();
    while (!signal.aborted) {
      let subjects: string[] | undefined;
      try {
        const wanted = this.#capturable(triggerSubjects(await latestEventTriggers(this.#deps.db.sql)));
        subjects = retained.with(wanted, Date.now());
      } catch (error) {
        this.#streamErrors.report(error);
      }
      if (subjects !== undefined) {
        const key = subjects.join('\n');
        // No DAG has an `on` any more: stop reading, but keep the stream (a registration may be about to
        // add its subject to it).
        if (subjects.length === 0) await stopConsuming();
        const due = subjects.length > 0 && Date.now() - appliedAt >= TRIGGER_STREAM_RESYNC_MS;
        if (subjects.length > 0 && (key !== applied || due)) {
          try {
            await this.#deps.bus.ensureTriggerStream(subjects);
            if (key !== applied) this.#deps.logger.info('event trigger stream updated', { subjects });
            applied = key;
            appliedAt = Date.now();
          } catch (error) {
            this.#streamErrors.report(error);
          }
        }
        // Also when the update failed: the stream may hold the subjects it had before.
        if (subjects.length > 0 && consumer === undefined && !signal.aborted) {
          const stop = new AbortController();
          const done = this.#consume(stop.signal).catch((error: unknown) =>
            this.#consumerErrors.report(error),
          );
          consumer = { stop, done };
        }
      }
      await sleep(TRIGGER_SUBJECTS_CHECK_MS, signal);
    }
    await stopConsuming();
  }

  /**
   * The subjects the stream can take: one that overlaps Tributary's own (registration refuses those,
   * but a version stored under another prefix may hold one) is left out and reported, so that it does
   * not stop every other DAG's trigger.
   */
  #capturable(subjects: string[]): string[] {
    const { prefix } = this.#deps.bus;
    const refused = subjects.flatMap((subject) => triggerSubjectProblem(prefix, subject) ?? []);
    if (refused.length > 0) this.#refusedSubjects.report(refused.join('; '));
    return subjects.filter((subject) => triggerSubjectProblem(prefix, subject) === undefined);
  }

  #consume(signal: AbortSignal): Promise<void> {
    return this.#deps.bus.consumeTriggerEvents({
      signal,
      handle: (batch) => this.handle(batch),
      onError: (error) => this.#consumerErrors.report(error),
    });
  }

  /**
   * Handles one batch: rejected messages are recorded, the runs are created in one `SchedulePass`, and
   * every message is counted by DAG and outcome once all of that is committed.
   * @throws when Postgres or the run loop fails: the batch is delivered again.
   */
  async handle(batch: readonly TriggerMessage[]): Promise<void> {
    const { db, loop, logger, metrics } = this.#deps;
    const plan = planEventTriggers(batch, await this.#targets(batch));
    await insertRejectedEvents(db.sql, plan.rejected);
    const outcomes =
      plan.runs.length === 0
        ? []
        : await loop.schedule({ runs: plan.runs, states: [], cancels: [], afterConsumed: [] });
    plan.runs.forEach((run, i) => {
      metrics.triggerEvents.inc(run.version.dag, outcomes[i]?.created ? 'started' : 'duplicate');
    });
    for (const { dag } of plan.rejected) metrics.triggerEvents.inc(dag, 'rejected');
    for (const [dag, count] of plan.paused)
      for (let i = 0; i < count; i++) metrics.triggerEvents.inc(dag, 'paused');
    if (plan.paused.size > 0) {
      logger.info('event messages for paused DAGs started no run', {
        messages: Object.fromEntries(plan.paused),
      });
    }
    const [first] = plan.rejected;
    if (first !== undefined) {
      logger.warn('event messages rejected (see rejected_events)', {
        count: plan.rejected.length,
        first: { dag: first.dag, subject: first.subject, streamSeq: first.streamSeq, error: first.error },
      });
    }
    if (plan.unmatched > 0) logger.debug('event messages matching no DAG acked', { count: plan.unmatched });
  }

  /** The DAGs whose subject some message of the batch matches, paused or with their latest version. */
  async #targets(batch: readonly TriggerMessage[]): Promise<EventTriggerTarget[]> {
    const { db, runs } = this.#deps;
    const matched = (await latestEventTriggers(db.sql)).flatMap((row) => {
      const subject = subjectOf(row.events);
      if (subject === undefined || !batch.some((message) => subjectMatches(subject, message.subject)))
        return [];
      return [{ dag: row.dag, version: row.version, subject }];
    });
    const paused = await pausedDags(
      db.sql,
      matched.map((row) => row.dag),
    );
    return Promise.all(
      matched.map(async (row): Promise<EventTriggerTarget> => {
        if (paused.has(row.dag)) return { dag: row.dag, subject: row.subject, paused: true, version: null };
        const version = await runs.version(row.dag, row.version);
        if (!version) {
          throw new TributaryError(
            Code.Unavailable,
            `version ${row.version} of DAG '${row.dag}' could not be loaded`,
          );
        }
        return { dag: row.dag, subject: row.subject, paused: false, version };
      }),
    );
  }
}

/**
 * Keeps a subject in the stream for two checks after no DAG's latest version has it any more. A
 * registration adds its subject to the stream before it stores its version: a check that falls in
 * between must not take the subject out again, or the messages published meanwhile would be lost.
 */
export class RetainedSubjects {
  readonly #goneSince = new Map<string, number>();
  #last: string[] = [];

  /** The subjects to apply: `wanted`, and the ones dropped from it less than two checks ago. */
  with(wanted: readonly string[], now: number): string[] {
    const wantedSet = new Set(wanted);
    for (const subject of this.#last) {
      if (!wantedSet.has(subject) && !this.#goneSince.has(subject)) this.#goneSince.set(subject, now);
    }
    for (const subject of wantedSet) this.#goneSince.delete(subject);
    for (const [subject, since] of this.#goneSince) {
      if (now - since >= 2 * TRIGGER_SUBJECTS_CHECK_MS) this.#goneSince.delete(subject);
    }
    this.#last = [...new Set([...wanted, ...this.#goneSince.keys()])].sort();
    return this.#last;
  }
}

/** The distinct `on` subjects of these DAGs, sorted. */
export function triggerSubjects(rows: readonly { events: JsonObject }[]): string[] {
  return [...new Set(rows.flatMap((row) => subjectOf(row.events) ?? []))].sort();
}

function subjectOf(events: JsonObject): string | undefined {
  return typeof events.subject === 'string' ? events.subject : undefined;
}

interface ErrorLog {
  report(error: unknown): void;
}

/** Logs an error when it differs from the last one, or the last was a while ago: a retry loop does not flood. */
function errorLog(logger: Logger, message: string): ErrorLog {
  let last = '';
  let loggedAt = 0;
  return {
    report(error) {
      const text = String(error);
      if (text === last && Date.now() - loggedAt < REPEATED_ERROR_LOG_MS) return;
      last = text;
      loggedAt = Date.now();
      logger.warn(message, { error: text });
    },
  };
}
