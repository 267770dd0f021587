import { BackfillAction, millisFromTimestamp, RunState, timestamp } from '@tributary/proto';
import { describe, expect, it } from 'vitest';
import { cliAgainst, serveFake } from '../fake-server.test-util.js';
import type { CommandIo } from '../io.js';
import { formatBackfillProgress, tallyStates } from '../render/backfill-view.js';
import { createPalette } from '../render/colors.js';
import { backfillCommand } from './backfill.js';

const DAY = 86_400_000;
const JAN_1 = Date.UTC(2024, 0, 1);

/**
 * A fake whose Backfill creates one run per day of the range (`existing` ones given), and whose GetRun
 * answers each run's next scripted state on each call, staying at the last one.
 */
async function serveBackfill(script: Record<string, RunState[]>, existing: Record<string, RunState> = {}) {
  const requests: { dag: string; from?: number; to?: number; rerunFailed: boolean }[] = [];
  const polls: Record<string, number> = {};
  const server = await serveFake({
    backfill: (request) => {
      const from = millisFromTimestamp(request.from);
      const to = millisFromTimestamp(request.to);
      requests.push({ dag: request.dag, from, to, rerunFailed: request.rerunFailed });
      const runs = [];
      for (let day = from ?? 0; day <= (to ?? -1); day += DAY) {
        const runId = `r${(day - JAN_1) / DAY}`;
        const kept = existing[runId];
        runs.push({
          logicalDate: timestamp(day),
          runId,
          action: kept === undefined ? BackfillAction.CREATED : BackfillAction.EXISTING,
          state: kept ?? RunState.QUEUED,
        });
      }
      return { runs };
    },
    getRun: (request) => {
      const states = script[request.runId] ?? [];
      const call = polls[request.runId] ?? 0;
      polls[request.runId] = call + 1;
      return { run: { id: request.runId, dag: 'etl', state: states[Math.min(call, states.length - 1)] } };
    },
  });
  return { server, requests, polls };
}

/** A CommandIo against `server` that records output; `stopAfter` presses Ctrl-C after that many writes. */
function capture(server: string, stopAfter?: number) {
  const out: string[] = [];
  const err: string[] = [];
  const controller = new AbortController();
  const io: CommandIo = {
    out: (text) => {
      out.push(text);
      if (out.length === stopAfter) controller.abort(new Error('interrupted by Ctrl-C'));
    },
    err: (text) => void err.push(text),
    color: false,
    server,
    interrupt: () => controller.signal,
  };
  return { io, out, err };
}

describe('tributary backfill', () => {
  it('prints each interval, then a progress line per change, exiting 1 when a run failed', async () => {
    const { server, polls } = await serveBackfill(
      {
        r0: [RunState.RUNNING, RunState.RUNNING, RunState.SUCCEEDED],
        r1: [RunState.QUEUED, RunState.RUNNING, RunState.FAILED],
      },
      { r2: RunState.SUCCEEDED },
    );
    const { io, out } = capture(server);
    const code = await backfillCommand('etl', { from: JAN_1, to: JAN_1 + 2 * DAY, pollIntervalMs: 1 }, io);
    expect(code).toBe(1);
    const [table, ...progress] = out;
    expect(
      table
        ?.trimEnd()
        .split('\n')
        .map((line) => line.split(/\s{2,}/)),
    ).toEqual([
      ['LOGICAL DATE', 'RUN', 'ACTION', 'STATE'],
      ['2024-01-01T00:00:00Z', 'r0', 'created', 'queued'],
      ['2024-01-02T00:00:00Z', 'r1', 'created', 'queued'],
      ['2024-01-03T00:00:00Z', 'r2', 'existing', 'succeeded'],
    ]);
    // Every poll here changes a count: one line each, the first from the Backfill response itself.
    expect(progress).toEqual([
      'backfill etl: 1/3 finished (1 succeeded), 2 queued\n',
      'backfill etl: 1/3 finished (1 succeeded), 1 running, 1 queued\n',
      'backfill etl: 1/3 finished (1 succeeded), 2 running\n',
      'backfill etl: 3/3 finished (2 succeeded, 1 failed)\n',
    ]);
    // A finished run is never asked about again.
    expect(polls).toEqual({ r0: 3, r1: 3 });
  });

  it('exits 0 when every run succeeded, printing an unchanged poll once', async () => {
    const { server } = await serveBackfill({ r0: [RunState.QUEUED, RunState.QUEUED, RunState.SUCCEEDED] });
    const { io, out } = capture(server);
    expect(await backfillCommand('etl', { from: JAN_1, to: JAN_1, pollIntervalMs: 1 }, io)).toBe(0);
    expect(out.slice(1)).toEqual([
      'backfill etl: 0/1 finished, 1 queued\n',
      'backfill etl: 1/1 finished (1 succeeded)\n',
    ]);
  });

  it('prints JSON lines with --json: the runs, each progress change, then the final states', async () => {
    const { server } = await serveBackfill({ r0: [RunState.CANCELLED] });
    const { io, out } = capture(server);
    expect(await backfillCommand('etl', { from: JAN_1, to: JAN_1, json: true, pollIntervalMs: 1 }, io)).toBe(
      1,
    );
    expect(out.map((line) => JSON.parse(line) as unknown)).toEqual([
      {
        type: 'backfill',
        dag: 'etl',
        runs: [{ logical_date: '2024-01-01T00:00:00Z', run_id: 'r0', action: 'created', state: 'queued' }],
      },
      { type: 'progress', dag: 'etl', queued: 1, running: 0, succeeded: 0, failed: 0, cancelled: 0 },
      { type: 'progress', dag: 'etl', queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 1 },
      {
        type: 'finished',
        dag: 'etl',
        runs: [{ logical_date: '2024-01-01T00:00:00Z', run_id: 'r0', action: 'created', state: 'cancelled' }],
      },
    ]);
  });

  it('stops watching on Ctrl-C with exit 1, saying the runs go on', async () => {
    const { server } = await serveBackfill({ r0: [RunState.RUNNING] });
    const { io, out, err } = capture(server, 3);
    expect(await backfillCommand('etl', { from: JAN_1, to: JAN_1, pollIntervalMs: 1 }, io)).toBe(1);
    expect(out).toHaveLength(3);
    expect(err).toEqual(["stopped watching; the backfill's runs go on (tributary runs etl lists them)\n"]);
  });

  it('sends the parsed range and --rerun-failed, and returns at once with --no-wait', async () => {
    const { server, requests, polls } = await serveBackfill({}, { r0: RunState.FAILED });
    const result = await cliAgainst(
      server,
      'backfill',
      'etl',
      '--from',
      '2024-01-01',
      '--to',
      '2024-01-02T00:00:00+00:00',
      '--rerun-failed',
      '--no-wait',
    );
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^2024-01-02T00:00:00Z +r1 +created +queued$/m);
    expect(requests).toEqual([{ dag: 'etl', from: JAN_1, to: JAN_1 + DAY, rerunFailed: true }]);
    expect(polls).toEqual({});
  });

  it('waits by default from the command line and exits 1 when a run failed', async () => {
    const { server } = await serveBackfill({ r0: [RunState.FAILED] });
    const result = await cliAgainst(server, 'backfill', 'etl', '--from', '2024-01-01', '--to', '2024-01-01');
    expect(result.code).toBe(1);
    expect(result.out.trimEnd().split('\n').at(-1)).toBe('backfill etl: 1/1 finished (1 failed)');
  });

  it('says so when no interval falls in the range, exiting 0 without polling', async () => {
    // GetRun is not part of this fake: a poll would fail the command.
    const server = await serveFake({ backfill: () => ({ runs: [] }) });
    const result = await cliAgainst(server, 'backfill', 'etl', '--from', '2024-01-01', '--to', '2024-01-01');
    expect(result).toEqual({ code: 0, out: 'no data interval of etl falls in the range\n', err: '' });
  });

  it('refuses a bad date naming its flag, and from after to, before calling the server (exit 2)', async () => {
    const { server, requests } = await serveBackfill({});
    const bad = await cliAgainst(server, 'backfill', 'etl', '--from', '2024-02-30', '--to', '2024-03-01');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("option '--from <date>' argument '2024-02-30' is invalid");
    const badTo = await cliAgainst(server, 'backfill', 'etl', '--from', '2024-02-01', '--to', 'tomorrow');
    expect(badTo.code).toBe(2);
    expect(badTo.err).toContain("option '--to <date>' argument 'tomorrow' is invalid");
    const reversed = await cliAgainst(
      server,
      'backfill',
      'etl',
      '--from',
      '2024-03-01',
      '--to',
      '2024-02-01',
    );
    expect(reversed).toEqual({
      code: 2,
      out: '',
      err: 'error: [invalid_argument] --from (2024-03-01T00:00:00Z) is after --to (2024-02-01T00:00:00Z)\n',
    });
    const missing = await cliAgainst(server, 'backfill', 'etl', '--from', '2024-03-01');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("required option '--to <date>' not specified");
    expect(requests).toEqual([]);
  });
});

describe('formatBackfillProgress', () => {
  it('colours the outcomes when colour is on', () => {
    const tally = tallyStates(['succeeded', 'failed', 'running']);
    expect(formatBackfillProgress('etl', tally, createPalette(false))).toBe(
      'backfill etl: 2/3 finished (1 succeeded, 1 failed), 1 running\n',
    );
    expect(formatBackfillProgress('etl', tally, createPalette(true))).toContain(
      '\u001b[31m1 failed\u001b[39m',
    );
  });
});
