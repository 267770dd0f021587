import { Code, TributaryError } from '@tributary/core';
import { CronSchedule, type DataInterval } from '@tributary/schedule';
import type { DagModel, ScheduleModel } from '@tributary/spec';

/**
 * The data interval a run for `logicalDate` (epoch ms) processes, as the DAG's scheduled run for that
 * date would (Airflow's `dags test <dag> <date>`): from the date to the schedule's next fire time after
 * it. A DAG without a schedule has no grid, so its interval is [date, date].
 *
 * @throws TributaryError `InvalidArgument` with a `logicalDate` problem when the date is not a time, or
 *   not a fire time of the schedule: the message names the fire times just before and after it.
 */
export function dataIntervalFor(dag: DagModel, logicalDate: number): DataInterval {
  if (!Number.isFinite(logicalDate)) throw logicalDateProblem(`${logicalDate} is not a time`);
  const schedule = dag.schedule ?? null;
  if (schedule === null) return { start: logicalDate, end: logicalDate };
  // The DAG's own start_date does not apply: a test run may be for any date on the grid, as a
  // backfill may. Starting the schedule at the date makes its first interval the one at or after it.
  const interval = cronOf(schedule, logicalDate).intervalAfter(null);
  if (interval?.start === logicalDate) return interval;
  throw logicalDateProblem(
    `${iso(logicalDate)} is not a fire time of the schedule ${describe(schedule)}; ${neighbours(schedule, logicalDate, interval?.start)}`,
  );
}

function cronOf(schedule: ScheduleModel, startDate: number): CronSchedule {
  return new CronSchedule({ cron: schedule.cron, timezone: schedule.timezone, startDate, endDate: null });
}

/** The fire times around an off-grid date, for the message: what the user probably meant. */
function neighbours(schedule: ScheduleModel, logicalDate: number, after: number | undefined): string {
  // The interval due at the date ends at the last fire time before it. The search starts at the epoch
  // rather than at the date, which is after that fire time; dates before 1970 find no earlier one.
  const before = cronOf(schedule, 0).lastDueInterval(null, logicalDate)?.end;
  const times = [
    before === undefined ? 'none before it' : `${iso(before)} before it`,
    after === undefined ? 'none after it' : `${iso(after)} after it`,
  ];
  return `the nearest fire times are ${times.join(' and ')}`;
}

function describe(schedule: ScheduleModel): string {
  return `'${schedule.cron}' (${schedule.timezone})`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function logicalDateProblem(message: string): TributaryError {
  return new TributaryError(Code.InvalidArgument, `logical date ${message}`, {
    problems: [{ field: 'logicalDate', message }],
  });
}
