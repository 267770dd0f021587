import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type TributaryClient } from '@tributary/client';
import { compileCoordinatorOptions, type RunningCoordinator, startCoordinator } from '@tributary/coordinator';
import type { Logger } from '@tributary/core';
import { BackfillAction, millisFromTimestamp, type Run, RunType, runStateFromProto } from '@tributary/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  ManualClock,
  type NatsServer,
  type PostgresServer,
  startNats,
  startPostgres,
  stopAll,
  waitFor,
} from '../harness/index.js';

// The coordinator's scheduler against real Postgres and NATS, on a clock the test moves: hours of
// schedule in an instant, outages and restarts included. No worker runs, so runs stay `running` (an
// overlap) until the test cancels them.

const MINUTE = 60_000;
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let pg: PostgresServer;
let nats: NatsServer;
let databaseUrl: string;
let clock: ManualClock;
let coordinator: RunningCoordinator;
let client: TributaryClient;
let dagsDir: string;

async function startLeader(): Promise<RunningCoordinator> {
  const options = compileCoordinatorOptions({
    databaseUrl,
    natsUrl: nats.url,
    listen: `127.0.0.1:${await freePort()}`,
    metricsListen: null,
  });
  return startCoordinator(options, quiet, { clock });
}

/** Deploys a DAG of one shell task with these top-level lines (schedule and friends). */
async function deploy(
  name: string,
  lines: string[],
  taskFields = '',
  moreTasks: string[] = [],
): Promise<void> {
  const dir = join(dagsDir, name);
  await mkdir(dir, { recursive: true });
  const spec = [
    `name: ${name}`,
    ...lines,
    'tasks:',
    `  work: { kind: shell, command: "true"${taskFields} }`,
    ...moreTasks,
  ];
  await writeFile(join(dir, 'dag.yaml'), `${spec.join('\n')}\n`);
  await client.deployDagFolder(dir);
}

/** Every run of a DAG, by logical date. */
async function runsOf(dag: string): Promise<Run[]> {
  const { runs } = await client.listRuns({ dag, pageSize: 1000 });
  return runs.sort((a, b) => millisFromTimestamp(a.logicalDate!) - millisFromTimestamp(b.logicalDate!));
}

/** The logical dates of a DAG's runs as ISO strings, in order. */
async function logicalDates(dag: string): Promise<string[]> {
  return (await runsOf(dag)).map((run) => new Date(millisFromTimestamp(run.logicalDate!)).toISOString());
}

/** `count` ten-minute logical dates from `from`, as ISO strings. */
function tenMinuteDates(from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => new Date(from + i * 10 * MINUTE).toISOString());
}

async function dagView(name: string) {
  const dag = (await client.listDags()).find((summary) => summary.name === name);
  if (!dag) throw new Error(`dag ${name} not listed`);
  return dag;
}

/** The ISO form of an epoch ms time, for a spec's start_date. */
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  [pg, nats] = await Promise.all([startPostgres(), startNats()]);
  databaseUrl = await pg.createDatabase('tributary');
  dagsDir = await mkdtemp(join(tmpdir(), 'tributary-schedules-'));
  clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));
  coordinator = await startLeader();
  client = createClient({ address: coordinator.address });
});

afterAll(async () => {
  client?.close();
  await coordinator?.stop();
  await stopAll();
});

describe('catchup', () => {
  it('runs exactly the missed intervals: on deployment with a past start_date, and after an outage', async () => {
    const start = clock.now() - 60 * MINUTE;
    await deploy('catchup_all', [
      'schedule: "*/10 * * * *"',
      `start_date: "${iso(start)}"`,
      'overlap: allow',
    ]);
    await clock.advance(0);
    // [start, start+10m) ... [start+50m, now): six intervals, each closed by now.
    expect(await logicalDates('catchup_all')).toEqual(tenMinuteDates(start, 6));

    // The scheduler is down for an hour: its successor runs the six intervals that closed meanwhile.
    await coordinator.stop();
    clock.jump(60 * MINUTE);
    coordinator = await startLeader();
    client.close();
    client = createClient({ address: coordinator.address });
    await clock.advance(0);
    const runs = await runsOf('catchup_all');
    expect(runs.map((run) => iso(millisFromTimestamp(run.logicalDate!)))).toEqual(tenMinuteDates(start, 12));
    for (const run of runs) {
      expect(run.runType).toBe(RunType.SCHEDULED);
      // Each run covers exactly its interval: ten minutes from its logical date.
      expect(millisFromTimestamp(run.dataIntervalEnd!) - millisFromTimestamp(run.dataIntervalStart!)).toBe(
        10 * MINUTE,
      );
    }
    // More passes at the same time change nothing.
    await clock.advance(0);
    expect(await logicalDates('catchup_all')).toHaveLength(12);
  });

  it('with catchup false runs only the latest interval, and counts the others as skipped', async () => {
    const start = clock.now() - 60 * MINUTE;
    await deploy('catchup_none', [
      'schedule: "*/10 * * * *"',
      `start_date: "${iso(start)}"`,
      'catchup: false',
      'overlap: allow',
    ]);
    await clock.advance(0);
    expect(await logicalDates('catchup_none')).toEqual([iso(start + 50 * MINUTE)]);
    await clock.advance(60 * MINUTE);
    expect(await logicalDates('catchup_none')).toEqual([iso(start + 50 * MINUTE), iso(start + 110 * MINUTE)]);
    expect((await dagView('catchup_none')).schedule?.skipped).toBe(10n);
  });
});

describe('overlap policies, while the previous scheduled run is still going', () => {
  const policies = ['skip', 'buffer_one', 'buffer_all', 'cancel_previous', 'allow'] as const;
  const dagOf = (policy: string) => `overlap_${policy}`;
  let start: number;

  beforeAll(async () => {
    start = clock.now() - 10 * MINUTE;
    for (const policy of policies) {
      await deploy(dagOf(policy), [
        'schedule: "*/10 * * * *"',
        `start_date: "${iso(start)}"`,
        `overlap: ${policy}`,
      ]);
    }
    await clock.advance(0);
    for (const policy of policies) expect(await logicalDates(dagOf(policy))).toEqual([iso(start)]);
    // Two more intervals close while the first run still runs (no worker takes its task).
    await clock.advance(20 * MINUTE);
  });

  it('skip: the intervals that closed meanwhile get no run', async () => {
    expect(await logicalDates(dagOf('skip'))).toEqual([iso(start)]);
    expect((await dagView(dagOf('skip'))).schedule?.skipped).toBe(2n);
  });

  it('buffer_all: they wait, and run one after the other as the previous ends', async () => {
    const dag = dagOf('buffer_all');
    expect(await logicalDates(dag)).toEqual([iso(start)]);
    // Waiting intervals are looked at again in a while, not in a busy loop.
    expect(clock.sleeps.at(-1)).toBeGreaterThan(0);
    for (let n = 1; n <= 2; n++) {
      const [running] = (await runsOf(dag)).filter((run) => runStateFromProto(run.state) === 'running');
      await client.cancelRun(running!.id);
      await clock.advance(0);
      expect(await logicalDates(dag)).toEqual(tenMinuteDates(start, n + 1));
    }
  });

  it('buffer_one: the first that closed meanwhile waits, the later one is skipped', async () => {
    const dag = dagOf('buffer_one');
    expect(await logicalDates(dag)).toEqual([iso(start)]);
    await client.cancelRun((await runsOf(dag))[0]!.id);
    await clock.advance(0);
    expect(await logicalDates(dag)).toEqual([iso(start), iso(start + 10 * MINUTE)]);
    expect((await dagView(dag)).schedule?.skipped).toBe(1n);
  });

  it('cancel_previous: the newest interval runs and the running one is cancelled', async () => {
    const runs = await runsOf(dagOf('cancel_previous'));
    expect(runs.map((run) => iso(millisFromTimestamp(run.logicalDate!)))).toEqual([
      iso(start),
      iso(start + 20 * MINUTE),
    ]);
    expect(runs.map((run) => runStateFromProto(run.state))).toEqual(['cancelled', 'running']);
  });

  it('allow: every interval runs at once', async () => {
    const runs = await runsOf(dagOf('allow'));
    expect(runs.map((run) => iso(millisFromTimestamp(run.logicalDate!)))).toEqual(tenMinuteDates(start, 3));
    expect(runs.every((run) => runStateFromProto(run.state) === 'running')).toBe(true);
  });
});

describe('pause and unpause', () => {
  it('a paused DAG starts no scheduled run; unpaused, it catches up on what it missed', async () => {
    const start = clock.now();
    await deploy('pausable', ['schedule: "*/10 * * * *"', `start_date: "${iso(start)}"`, 'overlap: allow']);
    const paused = await client.setDagPaused('pausable', true);
    expect(paused.paused).toBe(true);
    await clock.advance(30 * MINUTE);
    expect(await logicalDates('pausable')).toEqual([]);
    const view = await dagView('pausable');
    expect(view.paused).toBe(true);
    // Overdue: the next run's due time is already past while paused.
    expect(millisFromTimestamp(view.schedule!.nextRunAt!)).toBe(start + 10 * MINUTE);

    await client.setDagPaused('pausable', false);
    await clock.advance(0);
    expect(await logicalDates('pausable')).toEqual(tenMinuteDates(start, 3));
    expect(millisFromTimestamp((await dagView('pausable')).schedule!.nextRunAt!)).toBe(start + 40 * MINUTE);
  });

  it('refuses to pause a DAG that does not exist', async () => {
    await expect(client.setDagPaused('no_such_dag', true)).rejects.toThrow(/no_such_dag/);
  });
});

describe('two coordinators', () => {
  it('keep one run per logical date across a leader handover', async () => {
    const start = clock.now() - 30 * MINUTE;
    await deploy('handover', ['schedule: "*/10 * * * *"', `start_date: "${iso(start)}"`, 'overlap: allow']);
    const follower = await startLeader();
    await clock.advance(0);
    expect(await logicalDates('handover')).toEqual(tenMinuteDates(start, 3));
    // The leader goes; the follower takes the lease over and schedules from the same state.
    await coordinator.stop();
    coordinator = follower;
    client.close();
    client = createClient({ address: coordinator.address });
    await waitFor(
      async () => {
        await clock.advance(10 * MINUTE);
        return (await logicalDates('handover')).length >= 5;
      },
      { description: 'the new leader to schedule', timeoutMs: 30_000, intervalMs: 200 },
    );
    const dates = await logicalDates('handover');
    // Every interval up to now once: none lost in the handover, none doubled.
    expect(dates).toEqual(tenMinuteDates(start, (clock.now() - start) / (10 * MINUTE)));
  });
});

describe('backfill', () => {
  it('creates the runs of a range, keeps those that exist, and reruns failed ones when asked', async () => {
    const start = clock.now() - 20 * MINUTE;
    // No worker serves the task: each attempt fails after its queue timeout, so the runs fail.
    await deploy(
      'backfilled',
      ['schedule: "*/10 * * * *"', `start_date: "${iso(start)}"`, 'overlap: allow'],
      ', queue_timeout: 1s',
    );
    await clock.advance(0);
    expect(await logicalDates('backfilled')).toEqual(tenMinuteDates(start, 2));
    await waitFor(
      async () => (await runsOf('backfilled')).every((run) => runStateFromProto(run.state) === 'failed'),
      { description: 'the scheduled runs to fail', timeoutMs: 15_000 },
    );

    // A newer version with another task: the failed runs are cleared with their own version's tasks.
    await deploy(
      'backfilled',
      ['schedule: "*/10 * * * *"', `start_date: "${iso(start)}"`, 'overlap: allow'],
      ', queue_timeout: 1s',
      ['  more: { kind: shell, command: "true", queue_timeout: 1s }'],
    );
    const from = start - 30 * MINUTE;
    const answer = await client.backfill({
      dag: 'backfilled',
      from,
      to: start + 10 * MINUTE,
      rerunFailed: true,
    });
    expect(answer.map((entry) => iso(millisFromTimestamp(entry.logicalDate!)))).toEqual(
      tenMinuteDates(from, 5),
    );
    expect(answer.map((entry) => entry.action)).toEqual([
      BackfillAction.CREATED,
      BackfillAction.CREATED,
      BackfillAction.CREATED,
      BackfillAction.RERUN,
      BackfillAction.RERUN,
    ]);
    const runs = await runsOf('backfilled');
    expect(runs.map((run) => iso(millisFromTimestamp(run.logicalDate!)))).toEqual(tenMinuteDates(from, 5));
    expect(runs.slice(0, 3).every((run) => run.runType === RunType.BACKFILL)).toBe(true);
    // The failed runs run again, as the same runs.
    expect(answer.slice(3).map((entry) => entry.runId)).toEqual(runs.slice(3).map((run) => run.id));

    // A second backfill of the same range creates nothing.
    const again = await client.backfill({ dag: 'backfilled', from, to: start + 10 * MINUTE });
    expect(again.every((entry) => entry.action === BackfillAction.EXISTING)).toBe(true);
    expect(await logicalDates('backfilled')).toHaveLength(5);
  });

  it('refuses a DAG without a schedule and a reversed range', async () => {
    await deploy('unscheduled', []);
    await expect(client.backfill({ dag: 'unscheduled', from: 0, to: MINUTE })).rejects.toThrow(/no schedule/);
    await expect(client.backfill({ dag: 'backfilled', from: MINUTE, to: 0 })).rejects.toThrow(/after/);
  });
});
