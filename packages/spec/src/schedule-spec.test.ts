import { describe, expect, it } from 'vitest';
import { parseDagSpec } from './parse.js';

const parse = (text: string) => parseDagSpec(text, { file: 'dag.yaml' });
const problemsOf = (text: string) =>
  parse(text).problems.map(
    (problem) => `${problem.position?.line}:${problem.position?.column} ${problem.field}: ${problem.message}`,
  );
const TASKS = 'tasks: { a: { kind: shell, command: "echo {{ run.data_interval_start }}" } }\n';
const utc = (text: string) => Date.parse(text);

describe('schedule in the spec', () => {
  it('compiles a schedule with every field, and triggers with all theirs, into the model', () => {
    const { model, problems } = parse(`name: orders
params:
  order_id: { type: string, default: none }
  region: { type: string, default: us }
schedule: "30 2 * * *"
timezone: Europe/Berlin
start_date: 2026-01-01
end_date: 2026-12-31T23:00
catchup: false
overlap: skip
on:
  subject: orders.created.>
  params: { order_id: "{{ event.data.id }}", region: eu }
  dedupe_key: "{{ event.data.id }}"
after:
  - { dag: other_dag, task: publish }
  - dag: billing
    task: close-day
tasks:
  load:
    kind: shell
    command: load --from {{ run.data_interval_start }} --to {{ run.data_interval_end }}
`);
    expect(problems).toEqual([]);
    expect(model?.schedule).toEqual({
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
      // Local midnight in Berlin (CET, +1) and 23:00 local (CET) on New Year's Eve.
      startDate: utc('2025-12-31T23:00:00Z'),
      endDate: utc('2026-12-31T22:00:00Z'),
      catchup: false,
      overlap: 'skip',
    });
    expect(model?.events).toEqual({
      subject: 'orders.created.>',
      params: { order_id: '{{ event.data.id }}', region: 'eu' },
      dedupeKey: '{{ event.data.id }}',
    });
    expect(model?.after).toEqual([
      { dag: 'other_dag', task: 'publish' },
      { dag: 'billing', task: 'close-day' },
    ]);
    expect(model?.tasks[0]).toMatchObject({
      command: 'load --from {{ run.data_interval_start }} --to {{ run.data_interval_end }}',
    });
  });

  it('fills the defaults: UTC, no dates, catchup, buffer_all; no events and no after', () => {
    const { model, problems } = parse(`name: x\nschedule: '@daily'\n${TASKS}`);
    expect(problems).toEqual([]);
    expect(model?.schedule).toEqual({
      cron: '@daily',
      timezone: 'UTC',
      startDate: null,
      endDate: null,
      catchup: true,
      overlap: 'buffer_all',
    });
    expect(model?.events).toBeNull();
    expect(model?.after).toEqual([]);
  });

  it('has no schedule, events or after when the spec names none', () => {
    const { model } = parse(`name: x\n${TASKS}`);
    expect(model).toMatchObject({ schedule: null, events: null, after: [] });
  });

  it('reads dates in the time zone, moves one in a DST gap forward and keeps an offset absolute', () => {
    const { model, problems } = parse(`name: x
schedule: "0 3 * * *"
timezone: America/New_York
start_date: "2026-03-08 02:30"
end_date: 2026-06-01T00:00:00+02:00
${TASKS}`);
    expect(problems).toEqual([]);
    expect(model?.schedule).toMatchObject({
      // 02:30 does not exist that night in New York: 03:00 EDT is the first valid instant.
      startDate: utc('2026-03-08T07:00:00Z'),
      endDate: utc('2026-05-31T22:00:00Z'),
    });
  });

  it('reports invalid cron, zone, dates, overlap and catchup at their values', () => {
    expect(
      problemsOf(`name: x
schedule: "61 * * * *"
timezone: Europe/Berln
start_date: 2026-02-30
end_date: tomorrow
overlap: skp
catchup: yes
${TASKS}`),
    ).toEqual([
      "2:11 schedule: invalid cron expression '61 * * * *': Invalid value for minute: 61",
      "3:11 timezone: unknown time zone 'Europe/Berln': use an IANA name such as 'UTC', 'Europe/Berlin' or 'America/New_York'",
      "4:13 start_date: no such date or time: '2026-02-30' (check the day of the month, the time and any offset)",
      "5:11 end_date: must be a date (2026-01-01) or date-time (2026-01-01T06:00), optionally with Z or an offset such as +02:00 (got 'tomorrow')",
      "6:10 overlap: unknown overlap policy 'skp' (did you mean 'skip'?); use one of: skip, buffer_one, buffer_all, cancel_previous, allow",
      "7:10 catchup: must be true or false (got 'yes')",
    ]);
  });

  it('reports a cron of the wrong size, a number for a schedule or a date, and a bad offset', () => {
    expect(
      problemsOf(
        `name: x\nschedule: "* * *"\nstart_date: 20260101\nend_date: 2026-01-01T10:00+25:00\n${TASKS}`,
      ),
    ).toEqual([
      "2:11 schedule: a cron expression has 5 fields (minute hour day month weekday) or 6 (second first); '* * *' has 3",
      '3:13 start_date: must be a date (2026-01-01) or date-time (2026-01-01T06:00), optionally with Z or an offset such as +02:00 (got 20260101)',
      "4:11 end_date: no such date or time: '2026-01-01T10:00+25:00' (check the day of the month, the time and any offset)",
    ]);
    expect(problemsOf(`name: x\nschedule: 5\n${TASKS}`)).toEqual([
      "2:11 schedule: must be a non-empty string (got 5) (quote it: '5')",
    ]);
  });

  it('reports an end_date that is not after start_date, compared in the time zone', () => {
    expect(
      problemsOf(`name: x
schedule: "@hourly"
timezone: Asia/Tokyo
start_date: 2026-06-01T09:00
end_date: 2026-06-01T00:00Z
${TASKS}`),
    ).toEqual([
      // 09:00 in Tokyo is 00:00 UTC: the same instant, so the schedule would have no interval.
      "5:11 end_date: end_date '2026-06-01T00:00Z' must be later than start_date '2026-06-01T09:00'",
    ]);
    expect(
      problemsOf(
        `name: x\nschedule: "@hourly"\nstart_date: 2026-06-01\nend_date: 2026-06-01T00:00:01\n${TASKS}`,
      ),
    ).toEqual([]);
  });

  it('reports every field of a schedule given without one, at its key, and still checks its value', () => {
    expect(
      problemsOf(`name: x
timezone: Europe/Berlin
start_date: 2026-01-01
end_date: 2026-13-01
catchup: false
overlap: allow
${TASKS}`),
    ).toEqual([
      '2:1 timezone: timezone needs a schedule: it applies only to scheduled runs',
      '3:1 start_date: start_date needs a schedule: it applies only to scheduled runs',
      '4:1 end_date: end_date needs a schedule: it applies only to scheduled runs',
      "4:11 end_date: no such date or time: '2026-13-01' (check the day of the month, the time and any offset)",
      '5:1 catchup: catchup needs a schedule: it applies only to scheduled runs',
      '6:1 overlap: overlap needs a schedule: it applies only to scheduled runs',
    ]);
  });

  it('requires a default for every param of a scheduled DAG, at the param', () => {
    expect(
      problemsOf(`name: x
schedule: "@daily"
params:
  day: { type: string }
  limit: { type: integer, default: 10 }
  region: { type: string }
${TASKS}`),
    ).toEqual([
      "4:3 params.day: param 'day' has no default, but scheduled runs have no one to give it a value: give it a default",
      "6:3 params.region: param 'region' has no default, but scheduled runs have no one to give it a value: give it a default",
    ]);
  });

  it('offers run.data_interval_start and run.data_interval_end to task templates, with suggestions', () => {
    expect(
      problemsOf(`name: x
tasks:
  a: { kind: shell, command: "echo {{ run.data_interval_star }}" }
`),
    ).toEqual([
      "3:30 tasks.a.command: unknown name 'run.data_interval_star' in {{ run.data_interval_star }} (did you mean 'data_interval_start'?) (use run.id, run.logical_date, run.data_interval_start or run.data_interval_end)",
    ]);
  });
});
