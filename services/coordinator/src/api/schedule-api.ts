import { create } from '@bufbuild/protobuf';
import { Code, type RunState, TributaryError } from '@tributary/core';
import {
  countRejectedEvents,
  type Database,
  findRunsByLogicalDates,
  lastRunRows,
  listDagSummaries,
  listRejectedEvents,
  scheduleStates,
  setDagPaused,
} from '@tributary/db';
import {
  BackfillAction,
  type BackfillRequest,
  type BackfillRun,
  BackfillRunSchema,
  type DagSummary,
  DagSummarySchema,
  type ListRejectedEventsRequest,
  millisFromTimestamp,
  type RejectedEvent,
  RejectedEventSchema,
  runStateToProto,
  timestamp,
} from '@tributary/proto';
import { CronSchedule, type DataInterval } from '@tributary/schedule';
import type { DagModel, ScheduleModel } from '@tributary/spec';
import { defaultParams, scheduledRun } from '../scheduler.js';
import { dagVersionView } from './dag-view.js';
import { invalid } from './invalid.js';
import { listRunViews } from './run-view.js';
import type { WriteRoute } from './write-route.js';

/** The most data intervals one backfill may cover. */
export const MAX_BACKFILL_INTERVALS = 10_000;
const DEFAULT_REJECTED_LIMIT = 50;
const MAX_REJECTED_LIMIT = 1_000;

/** Every DAG with its latest version, schedule, next run, last run, paused flag and rejected events. */
export async function listDagViews(db: Database, now: number): Promise<DagSummary[]> {
  const [summaries, states, lastRuns, rejected] = await Promise.all([
    listDagSummaries(db.sql),
    scheduleStates(db.sql),
    lastRunRows(db),
    countRejectedEvents(db.sql),
  ]);
  const lastRunOf = new Map((await listRunViews(db, lastRuns)).map((run) => [run.dag, run]));
  return summaries.map(({ latest, versionCount }) => {
    const model = latest.model as unknown as DagModel;
    const state = states.get(latest.dag);
    const lastRun = lastRunOf.get(latest.dag);
    return create(DagSummarySchema, {
      name: latest.dag,
      latest: dagVersionView(latest),
      versionCount,
      paused: state?.paused ?? false,
      ...(model.schedule ? { schedule: scheduleView(model.schedule, state, now) } : {}),
      ...(lastRun ? { lastRun } : {}),
      eventSubject: model.events?.subject ?? '',
      after: (model.after ?? []).map((entry) => `${entry.dag}.${entry.task}`),
      rejectedEvents: BigInt(rejected.get(latest.dag) ?? 0),
    });
  });
}

/** A DAG's schedule as the API shows it, with the next interval the scheduler has not handled. */
function scheduleView(
  model: ScheduleModel,
  state: { cursor: number | null; skipped: number; firstSeenAt: number } | undefined,
  now: number,
) {
  const next = cronScheduleOf(model, state?.firstSeenAt ?? now).intervalAfter(state?.cursor ?? null);
  return {
    cron: model.cron,
    timezone: model.timezone,
    ...(model.startDate === null ? {} : { startDate: timestamp(model.startDate) }),
    ...(model.endDate === null ? {} : { endDate: timestamp(model.endDate) }),
    catchup: model.catchup,
    overlap: model.overlap,
    ...(next ? { nextRunAt: timestamp(next.end), nextLogicalDate: timestamp(next.start) } : {}),
    skipped: BigInt(state?.skipped ?? 0),
  };
}

function cronScheduleOf(model: ScheduleModel, firstSeenAt: number): CronSchedule {
  return new CronSchedule({
    cron: model.cron,
    timezone: model.timezone,
    startDate: model.startDate ?? firstSeenAt,
    endDate: model.endDate,
  });
}

/** Pauses or unpauses a DAG; NOT_FOUND for an unknown one. */
export async function setPaused(db: Database, dag: string, paused: boolean): Promise<DagSummary> {
  if (dag === '') throw invalid('dag', 'is required');
  if (!(await setDagPaused(db.sql, dag, paused)))
    throw new TributaryError(Code.NotFound, `dag '${dag}' not found`);
  const view = (await listDagViews(db, Date.now())).find((summary) => summary.name === dag);
  return view!;
}

/**
 * Creates the runs of a DAG's schedule for the intervals whose logical dates lie in [from, to]. An
 * interval with a run keeps it; with `rerunFailed`, a failed one has its failed tasks cleared.
 */
export async function backfill(
  db: Database,
  route: WriteRoute,
  request: BackfillRequest,
): Promise<BackfillRun[]> {
  if (request.dag === '') throw invalid('dag', 'is required');
  if (!request.from) throw invalid('from', 'is required');
  if (!request.to) throw invalid('to', 'is required');
  const from = millisFromTimestamp(request.from)!;
  const to = millisFromTimestamp(request.to)!;
  if (from > to)
    throw invalid('from', `(${new Date(from).toISOString()}) is after to (${new Date(to).toISOString()})`);
  const target = await route.target();
  if ('remote' in target) return (await target.remote.unary('backfill', request)).runs;
  const { runs, loop } = target.local;
  const version = await runs.version(request.dag, 0);
  if (!version) throw new TributaryError(Code.NotFound, `dag '${request.dag}' not found`);
  const schedule = version.model.schedule;
  if (!schedule) {
    throw new TributaryError(
      Code.FailedPrecondition,
      `dag '${request.dag}' has no schedule: a backfill runs the data intervals of a schedule`,
    );
  }
  const intervals = intervalsInRange(schedule, from, to);
  const existing = new Map(
    (
      await findRunsByLogicalDates(
        db,
        intervals.map((interval) => ({ dag: request.dag, logicalDate: interval.start })),
      )
    ).map((row) => [row.logicalDate.getTime(), row]),
  );
  const params = defaultParams(version);
  const missing = intervals.filter((interval) => !existing.has(interval.start));
  const outcomes = await loop.schedule({
    runs: missing.map((interval) => scheduledRun(version, params, interval, 'backfill')),
    states: [],
    cancels: [],
    afterConsumed: [],
  });
  const created = new Map(missing.map((interval, i) => [interval.start, outcomes[i]!]));
  const rerun = request.rerunFailed ? [...existing.values()].filter((row) => row.state === 'failed') : [];
  // Submitted together, the clears go into one run loop tick. Each run clears the tasks of its own
  // version, which may be older than the one the backfill creates runs of.
  await Promise.all(
    rerun.map(async (row) => {
      const own = await runs.version(row.dag, row.dagVersion);
      await loop.clear(row.id, {
        taskIds: (own ?? version).model.tasks.map((task) => task.id),
        failedOnly: true,
      });
    }),
  );
  const answers: BackfillRun[] = [];
  for (const interval of intervals) {
    const row = existing.get(interval.start);
    let action = BackfillAction.CREATED;
    let runId = created.get(interval.start)?.runId ?? '';
    let state: RunState = created.get(interval.start)?.run?.state.snapshot.state ?? 'queued';
    if (row) {
      runId = row.id;
      state = row.state as RunState;
      action = BackfillAction.EXISTING;
      if (rerun.includes(row)) {
        action = BackfillAction.RERUN;
        state = 'running';
      }
    }
    answers.push(
      create(BackfillRunSchema, {
        logicalDate: timestamp(interval.start),
        runId,
        action,
        state: runStateToProto(state),
      }),
    );
  }
  return answers;
}

function intervalsInRange(schedule: ScheduleModel, from: number, to: number): DataInterval[] {
  try {
    return cronScheduleOf(schedule, from).intervalsWithLogicalDateIn(from, to, MAX_BACKFILL_INTERVALS);
  } catch (error) {
    if (error instanceof RangeError) {
      throw invalid(
        'to',
        `the range holds more than ${MAX_BACKFILL_INTERVALS} data intervals; backfill it in parts`,
      );
    }
    throw error;
  }
}

/** Rejected event messages, newest first. */
export async function rejectedEvents(
  db: Database,
  request: ListRejectedEventsRequest,
): Promise<RejectedEvent[]> {
  const limit = Math.min(request.limit || DEFAULT_REJECTED_LIMIT, MAX_REJECTED_LIMIT);
  const rows = await listRejectedEvents(db.sql, request.dag, limit);
  return rows.map((row) =>
    create(RejectedEventSchema, {
      dag: row.dag,
      subject: row.subject,
      streamSeq: BigInt(row.streamSeq),
      receivedAt: timestamp(row.receivedAt.getTime()),
      error: row.error,
      payload: row.payload,
    }),
  );
}
