import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_OK, EXIT_USAGE } from '../io.js';
import { runCliInProcess } from '../run-cli.test-util.js';

const folders: string[] = [];

afterEach(async () => {
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A DAG folder whose one shell task outputs its data interval; `header` adds top-level spec fields. */
async function intervalDag(header: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-cli-run-'));
  folders.push(dir);
  const spec = `name: interval
${header}
tasks:
  show:
    kind: shell
    command: |
      printf '{"start": "%s", "end": "%s"}\\n' {{ run.data_interval_start }} {{ run.data_interval_end }}
`;
  await writeFile(join(dir, 'dag.yaml'), spec);
  return dir;
}

/** The last `--json` line: the run summary. */
function summaryOf(out: string): {
  run: Record<string, unknown>;
  tasks: Record<string, { output?: unknown }>;
} {
  return JSON.parse(out.trimEnd().split('\n').at(-1) ?? '');
}

const HOURLY_AT_HALF_PAST = 'schedule: "30 * * * *"';

describe('tributary run --logical-date', () => {
  it("runs a scheduled DAG for the interval from the date to the schedule's next fire time", async () => {
    const path = await intervalDag(HOURLY_AT_HALF_PAST);
    const { code, out, err } = await runCliInProcess([
      'run',
      path,
      '--json',
      '--logical-date',
      '2024-06-01T09:30',
    ]);

    expect(err).toBe('');
    expect(code).toBe(EXIT_OK);
    const summary = summaryOf(out);
    expect(summary.tasks.show?.output).toEqual({
      start: '2024-06-01T09:30:00.000Z',
      end: '2024-06-01T10:30:00.000Z',
    });
    expect(summary.run).toMatchObject({
      logical_date: '2024-06-01T09:30:00.000Z',
      data_interval_start: '2024-06-01T09:30:00.000Z',
      data_interval_end: '2024-06-01T10:30:00.000Z',
    });
  });

  it('runs a DAG without a schedule for [date, date], a bare day being UTC midnight', async () => {
    const path = await intervalDag('');
    const { code, out } = await runCliInProcess(['run', path, '--json', '--logical-date', '2024-06-01']);

    expect(code).toBe(EXIT_OK);
    expect(summaryOf(out).tasks.show?.output).toEqual({
      start: '2024-06-01T00:00:00.000Z',
      end: '2024-06-01T00:00:00.000Z',
    });
  });

  it('refuses a date off the grid of the schedule with a usage error naming the fire times around it', async () => {
    const path = await intervalDag(HOURLY_AT_HALF_PAST);
    const { code, out, err } = await runCliInProcess(['run', path, '--logical-date', '2024-06-01T10:00:00Z']);

    expect(code).toBe(EXIT_USAGE);
    expect(out).toBe('');
    expect(err).toContain('--logical-date 2024-06-01T10:00:00.000Z is not a fire time');
    expect(err).toContain('2024-06-01T09:30:00.000Z before it and 2024-06-01T10:30:00.000Z after it');
  });

  it.each(['yesterday', '2024-02-30', '2024-06-01T25:00'])(
    'refuses %s as a date with a usage error',
    async (date) => {
      const path = await intervalDag(HOURLY_AT_HALF_PAST);
      const { code, err } = await runCliInProcess(['run', path, '--logical-date', date]);

      expect(code).toBe(EXIT_USAGE);
      expect(err).toContain("option '--logical-date <date>' argument");
      expect(err).toContain('YYYY-MM-DD');
    },
  );

  it('leaves the summary without an interval when the flag is absent', async () => {
    const path = await intervalDag(HOURLY_AT_HALF_PAST);
    const { code, out } = await runCliInProcess(['run', path, '--json']);

    expect(code).toBe(EXIT_OK);
    expect(Object.keys(summaryOf(out).run)).toEqual(['id', 'dag', 'state']);
  });
});
