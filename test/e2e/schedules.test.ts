import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection, headers as natsHeaders } from '@nats-io/transport-node';
import {
  millisFromTimestamp,
  type Run,
  RunType,
  runStateFromProto,
  taskStateFromProto,
  valueToJson,
} from '@tributary/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll, waitFor } from '../harness/index.js';
import { type Cluster, startCluster } from './cluster.js';

// Schedules, event triggers and `after` end to end: a coordinator and a worker as processes, real
// Postgres and NATS, the real clock.

let cluster: Cluster;
let nc: NatsConnection;
let dagsDir: string;

async function deploy(name: string, spec: string): Promise<void> {
  const dir = join(dagsDir, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'dag.yaml'), spec);
  await cluster.client.deployDagFolder(dir);
}

async function runsOf(dag: string): Promise<Run[]> {
  const { runs } = await cluster.client.listRuns({ dag, pageSize: 1000 });
  return runs.sort((a, b) => millisFromTimestamp(a.logicalDate!) - millisFromTimestamp(b.logicalDate!));
}

const finished = (run: Run) =>
  runStateFromProto(run.state) !== 'running' && runStateFromProto(run.state) !== 'queued';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

beforeAll(async () => {
  cluster = await startCluster({ workers: 1 });
  nc = await connect({ servers: cluster.nats.url });
  dagsDir = await mkdtemp(join(tmpdir(), 'tributary-e2e-schedules-'));
});

afterAll(async () => {
  await nc?.close();
  cluster?.client.close();
  await stopAll();
});

describe('a schedule every second', () => {
  it('starts a run per second, on time, each task seeing its data interval', async () => {
    await deploy(
      'every_second',
      `name: every_second
schedule: "* * * * * *"
tasks:
  interval:
    kind: shell
    command: printf '{"start":"%s","end":"%s"}\\n' "$TRIBUTARY_DATA_INTERVAL_START" {{ run.data_interval_end }}
`,
    );
    const runs = await waitFor(
      async () => {
        const all = await runsOf('every_second');
        return all.filter(finished).length >= 6 ? all : undefined;
      },
      { description: 'six scheduled runs to finish', timeoutMs: 60_000, intervalMs: 250 },
    );
    await cluster.client.setDagPaused('every_second', true);
    const done = runs.filter(finished);
    const starts = done.map((run) => millisFromTimestamp(run.logicalDate!));
    // One run per second, none missing, none doubled.
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBe(1000);
    const lagsMs: number[] = [];
    for (const summary of done) {
      expect(summary.runType).toBe(RunType.SCHEDULED);
      const run = await cluster.client.getRun(summary.id);
      expect(runStateFromProto(run.state)).toBe('succeeded');
      const output = valueToJson(run.tasks[0]!.output!) as { start: string; end: string };
      expect(output).toEqual({
        start: new Date(millisFromTimestamp(run.dataIntervalStart!)).toISOString(),
        end: new Date(millisFromTimestamp(run.dataIntervalEnd!)).toISOString(),
      });
      // Due when its interval closed; created when the scheduler got to it.
      lagsMs.push(millisFromTimestamp(run.createdAt!) - millisFromTimestamp(run.dataIntervalEnd!));
    }
    // The first run may have waited for the DAG's deployment; the rest show the scheduler's own lag.
    const steady = lagsMs.slice(1);
    console.info(
      `schedule lag over ${steady.length} runs: median ${median(steady)} ms, max ${Math.max(...steady)} ms`,
    );
    expect(Math.min(...lagsMs)).toBeGreaterThanOrEqual(0);
  });
});

describe('event triggers', () => {
  it('starts a run per message with params from it, once per dedupe key, and records rejected messages', async () => {
    await deploy(
      'on_order',
      `name: on_order
params:
  order_id: { type: integer }
  region: { type: string, default: eu }
on:
  subject: shop.orders.created.>
  params:
    order_id: "{{ event.data.id }}"
    region: "{{ event.subject }}"
  dedupe_key: "{{ event.data.id }}"
tasks:
  echo: { kind: shell, command: "echo {{ params.order_id }}" }
`,
    );
    const js = (subject: string, body: unknown, id?: string) => {
      const h = natsHeaders();
      if (id) h.set('Nats-Msg-Id', id);
      nc.publish(subject, JSON.stringify(body), { headers: h });
    };
    js('shop.orders.created.eu', { id: 42 });
    js('shop.orders.created.us', { id: 42 }); // the same order again: no second run
    js('shop.orders.created.eu', { id: 'not a number' });
    js('shop.orders.created.eu', { id: 43 });
    await nc.flush();
    const runs = await waitFor(
      async () => {
        const all = await runsOf('on_order');
        return all.length >= 2 && all.every(finished) ? all : undefined;
      },
      { description: 'the event runs to finish', timeoutMs: 30_000, intervalMs: 200 },
    );
    const params = runs.map((run) => run.params as { order_id: number; region: string });
    expect(params.map((p) => p.order_id).sort()).toEqual([42, 43]);
    expect(params.every((p) => p.region === 'shop.orders.created.eu')).toBe(true);
    for (const run of runs) {
      expect(run.runType).toBe(RunType.EVENT);
      expect(runStateFromProto(run.state)).toBe('succeeded');
    }
    const rejected = await waitFor(
      async () => {
        const events = await cluster.client.listRejectedEvents({ dag: 'on_order' });
        return events.length > 0 ? events : undefined;
      },
      { description: 'the bad message to be recorded', timeoutMs: 10_000 },
    );
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.error).toMatch(/order_id/);
    expect(rejected[0]!.payload).toContain('not a number');
    const dag = (await cluster.client.listDags()).find((d) => d.name === 'on_order');
    expect(dag?.rejectedEvents).toBe(1n);
    expect(dag?.eventSubject).toBe('shop.orders.created.>');
  });
});

describe('after', () => {
  it("starts a DAG each time the task it waits for succeeds in the other DAG's runs", async () => {
    await deploy(
      'producer',
      `name: producer
tasks:
  publish: { kind: shell, command: "true" }
  afterwards: { kind: shell, command: "true", needs: [publish] }
`,
    );
    await deploy(
      'consumer',
      `name: consumer
after:
  - { dag: producer, task: publish }
tasks:
  use: { kind: shell, command: "true" }
`,
    );
    for (let i = 0; i < 2; i++) {
      const { run } = await cluster.client.triggerRun({ dag: 'producer' });
      await waitFor(async () => finished(await cluster.client.getRun(run!.id)), {
        description: 'the producer run to finish',
        timeoutMs: 30_000,
      });
      const consumed = await waitFor(
        async () => {
          const runs = await runsOf('consumer');
          return runs.length === i + 1 && runs.every(finished) ? runs : undefined;
        },
        { description: `consumer run ${i + 1}`, timeoutMs: 30_000, intervalMs: 200 },
      );
      expect(consumed.every((r) => r.runType === RunType.AFTER)).toBe(true);
      const last = await cluster.client.getRun(consumed.at(-1)!.id);
      expect(last.tasks.map((t) => taskStateFromProto(t.state))).toEqual(['succeeded']);
    }
  });
});
