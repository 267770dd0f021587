import { create } from '@bufbuild/protobuf';
import { DagSummarySchema, RunState, RunType, timestamp } from '@tributary/proto';
import { describe, expect, it } from 'vitest';
import { cliAgainst, serveFake } from '../fake-server.test-util.js';
import { dagToJson } from '../render/run-view.js';
import { formatDagsTable } from './dags.js';

const JAN_2 = Date.UTC(2024, 0, 2);
const LATEST = {
  version: 3,
  taskCount: 4,
  bundleHash: 'abcdef0123456789',
  createdAt: timestamp(JAN_2 - 5000),
};

const scheduled = create(DagSummarySchema, {
  name: 'etl',
  versionCount: 3,
  latest: { dag: 'etl', ...LATEST },
  schedule: {
    cron: '0 2 * * *',
    timezone: 'Europe/Paris',
    catchup: true,
    overlap: 'skip',
    startDate: timestamp(Date.UTC(2024, 0, 1)),
    nextRunAt: timestamp(JAN_2 + 3_600_000),
    nextLogicalDate: timestamp(JAN_2 - 82_800_000),
    skipped: 2n,
  },
  lastRun: {
    id: 'r9',
    dag: 'etl',
    state: RunState.FAILED,
    runType: RunType.SCHEDULED,
    createdAt: timestamp(JAN_2 + 1_250),
  },
});
const pausedDaily = create(DagSummarySchema, {
  name: 'report',
  latest: { dag: 'report', ...LATEST },
  paused: true,
  schedule: { cron: '@daily', timezone: 'UTC', nextRunAt: timestamp(JAN_2) },
});
const onEvent = create(DagSummarySchema, {
  name: 'orders',
  latest: { dag: 'orders', ...LATEST },
  eventSubject: 'orders.created',
  rejectedEvents: 7n,
});
const afterOthers = create(DagSummarySchema, {
  name: 'audit',
  latest: { dag: 'audit', ...LATEST },
  after: ['etl.load', 'orders.store'],
});
const manual = create(DagSummarySchema, { name: 'adhoc', latest: { dag: 'adhoc', ...LATEST } });

/** The cells of a table row, split on the two-space column gaps. */
function cells(table: string, name: string): string[] {
  const line = table.split('\n').find((row) => row.startsWith(`${name} `));
  return line?.split(/\s{2,}/) ?? [];
}

describe('tributary dags', () => {
  const table = formatDagsTable([scheduled, pausedDaily, onEvent, afterOthers, manual]);

  it('has schedule, next run, last run and paused columns, and no bundle hash', () => {
    expect(table.split('\n')[0]).toMatch(
      /^DAG\s+VERSION\s+TASKS\s+SCHEDULE\s+NEXT RUN\s+LAST RUN\s+PAUSED\s+DEPLOYED\s+DESCRIPTION$/,
    );
    expect(table).not.toContain('abcdef');
  });

  it('shows the cron with its time zone, the next run and the last run without milliseconds', () => {
    expect(cells(table, 'etl')).toEqual([
      'etl',
      '3',
      '4',
      '0 2 * * * (Europe/Paris)',
      '2024-01-02T01:00:00Z',
      'failed 2024-01-02T00:00:01Z',
      'no',
      '2024-01-01T23:59:55Z',
    ]);
  });

  it('leaves UTC out and marks the next run of a paused DAG', () => {
    expect(cells(table, 'report').slice(3, 7)).toEqual([
      '@daily',
      '2024-01-02T00:00:00Z (paused)',
      '-',
      'yes',
    ]);
  });

  it('names the event subject or the tasks a DAG runs after, and a dash for a DAG only triggered', () => {
    expect(cells(table, 'orders').slice(3, 5)).toEqual(['on orders.created', '-']);
    expect(cells(table, 'audit')[3]).toBe('after etl.load, orders.store');
    expect(cells(table, 'adhoc').slice(3, 7)).toEqual(['-', '-', '-', 'no']);
  });

  it('puts the schedule, pause, last run and triggers in --json with ISO times', () => {
    expect(dagToJson(scheduled)).toMatchObject({
      name: 'etl',
      latest: { bundle_hash: 'abcdef0123456789' },
      schedule: {
        cron: '0 2 * * *',
        timezone: 'Europe/Paris',
        start_date: '2024-01-01T00:00:00.000Z',
        end_date: null,
        catchup: true,
        overlap: 'skip',
        next_run_at: '2024-01-02T01:00:00.000Z',
        next_logical_date: '2024-01-01T01:00:00.000Z',
        skipped: 2,
      },
      paused: false,
      last_run: { id: 'r9', state: 'failed', run_type: 'scheduled', created_at: '2024-01-02T00:00:01.250Z' },
      event_subject: null,
      after: [],
      rejected_events: 0,
    });
    expect(dagToJson(onEvent)).toMatchObject({
      schedule: null,
      last_run: null,
      event_subject: 'orders.created',
      rejected_events: 7,
    });
    expect(dagToJson(pausedDaily).paused).toBe(true);
  });

  it('prints the table and --json from the server', async () => {
    const server = await serveFake({ listDags: () => ({ dags: [scheduled, manual] }) });
    const text = await cliAgainst(server, 'dags');
    expect(text.code).toBe(0);
    expect(cells(text.out, 'etl')[3]).toBe('0 2 * * * (Europe/Paris)');
    const json = await cliAgainst(server, 'dags', '--json');
    const parsed = JSON.parse(json.out) as { dags: { name: string; schedule: unknown }[] };
    expect(parsed.dags.map((dag) => [dag.name, dag.schedule === null])).toEqual([
      ['etl', false],
      ['adhoc', true],
    ]);
  });
});
