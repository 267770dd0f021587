import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, TributaryError } from '@tributary/core';
import { afterEach, describe, expect, it } from 'vitest';
import { runDagLocally } from './run-dag-locally.js';

const folders: string[] = [];

afterEach(async () => {
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A DAG folder whose one shell task outputs the run's three template dates; `header` adds top-level fields. */
async function echoDag(header: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-logical-date-'));
  folders.push(dir);
  const spec = `name: echo_dates
${header}
tasks:
  dates:
    kind: shell
    command: |
      printf '{"logical": "%s", "start": "%s", "end": "%s"}\\n' {{ run.logical_date }} {{ run.data_interval_start }} {{ run.data_interval_end }}
`;
  await writeFile(join(dir, 'dag.yaml'), spec);
  return dir;
}

const BERLIN_DAILY = 'schedule: "0 6 * * *"\ntimezone: Europe/Berlin';

describe('runDagLocally with a logical date', () => {
  it("runs a scheduled DAG for the data interval from that date to the schedule's next fire time", async () => {
    const path = await echoDag(BERLIN_DAILY);
    // 06:00 in Berlin on the day before clocks spring forward: the interval is 23 hours long.
    const logicalDate = Date.parse('2026-03-28T05:00:00Z');
    const summary = await runDagLocally({ path, logicalDate });

    expect(summary.run.state).toBe('succeeded');
    expect(summary.tasks.dates?.output).toEqual({
      logical: '2026-03-28T05:00:00.000Z',
      start: '2026-03-28T05:00:00.000Z',
      end: '2026-03-29T04:00:00.000Z',
    });
    expect(summary.run.dataInterval).toEqual({ start: logicalDate, end: Date.parse('2026-03-29T04:00:00Z') });
  });

  it('runs a DAG without a schedule for the empty interval [date, date]', async () => {
    const path = await echoDag('');
    const logicalDate = Date.parse('2024-02-29T13:14:15Z');
    const summary = await runDagLocally({ path, logicalDate });

    expect(summary.tasks.dates?.output).toEqual({
      logical: '2024-02-29T13:14:15.000Z',
      start: '2024-02-29T13:14:15.000Z',
      end: '2024-02-29T13:14:15.000Z',
    });
    expect(summary.run.dataInterval).toEqual({ start: logicalDate, end: logicalDate });
  });

  it('refuses a date off the grid of the schedule, naming the fire times around it', async () => {
    const path = await echoDag(BERLIN_DAILY);
    const run = runDagLocally({ path, logicalDate: Date.parse('2026-03-28T12:00:00Z') });

    const error = await run.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe(Code.InvalidArgument);
    expect((error as TributaryError).problems[0]?.field).toBe('logicalDate');
    expect((error as TributaryError).message).toContain(
      '2026-03-28T05:00:00.000Z before it and 2026-03-29T04:00:00.000Z after it',
    );
  });

  it('without a logical date runs for its own start time and reports no interval', async () => {
    const path = await echoDag(BERLIN_DAILY);
    const before = Date.now();
    const summary = await runDagLocally({ path });

    const output = summary.tasks.dates?.output as { logical: string; end: string };
    expect(Date.parse(output.logical)).toBeGreaterThanOrEqual(before);
    expect(output.end).toBe(output.logical);
    expect(summary.run.dataInterval).toBeUndefined();
  });

  it('leaves the runs that dag tasks trigger at their own start time', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tributary-logical-date-'));
    folders.push(root);
    const specs = {
      child: `name: child
params:
  out: { type: string }
tasks:
  write: { kind: shell, command: 'echo {{ run.logical_date }} {{ run.data_interval_end }} > {{ params.out }}' }
`,
      parent: `name: parent
params:
  out: { type: string }
tasks:
  run_child: { kind: dag, dag: child, params: { out: '{{ params.out }}' } }
`,
    };
    for (const [folder, spec] of Object.entries(specs)) {
      await mkdir(join(root, folder));
      await writeFile(join(root, folder, 'dag.yaml'), spec);
    }
    const out = join(root, 'child-dates.txt');
    const before = Date.now();
    const summary = await runDagLocally({
      path: join(root, 'parent'),
      params: { out },
      logicalDate: Date.parse('2020-01-01T00:00:00Z'),
    });

    expect(summary.run.state).toBe('succeeded');
    const [logical, end] = (await readFile(out, 'utf8')).trim().split(' ');
    expect(Date.parse(logical ?? '')).toBeGreaterThanOrEqual(before);
    expect(end).toBe(logical);
  });
});
