import type { Bus, ConsumeTriggerEventsOptions, TriggerMessage } from '@tributary/bus';
import type { JsonObject, Logger } from '@tributary/core';
import type { Database } from '@tributary/db';
import { parseDagSpec } from '@tributary/spec';
import { describe, expect, it } from 'vitest';
import { compileVersion, type LoadedVersion } from './active-runs.js';
import type { TriggerEventOutcome } from './coordinator-metrics.js';
import {
  EventTriggers,
  type EventTriggersDeps,
  RetainedSubjects,
  TRIGGER_SUBJECTS_CHECK_MS,
} from './event-triggers.js';
import type { SchedulePass, TriggerOutcome } from './run-loop.js';

// These tests stand in for Postgres with a fake `sql` that answers by the table a query reads; the
// queries themselves are exercised by the end-to-end tests.

function loadVersion(dag: string, subject: string): LoadedVersion {
  const parsed = parseDagSpec(
    `name: ${dag}
params:
  order_id: { type: integer }
on:
  subject: "${subject}"
  params: { order_id: "{{ event.data.id }}" }
  dedupe_key: "{{ event.data.id }}"
tasks:
  t: { kind: shell, command: "true" }
`,
    { file: 'dag.yaml', files: new Set(['dag.yaml']) },
  );
  if (!parsed.model) throw new Error(`test spec invalid: ${JSON.stringify(parsed.problems)}`);
  return compileVersion({ dag, version: 1, bundleHash: 'h', model: parsed.model });
}

interface World {
  versions: LoadedVersion[];
  paused: string[];
  /** Request ids of runs that exist already. */
  existing: Set<string>;
}

function setUp(world: World) {
  const passes: SchedulePass[] = [];
  const rejectedInserts: unknown[][] = [];
  const counted: [string, TriggerEventOutcome][] = [];
  const logged: string[] = [];
  const ensured: string[][] = [];
  const consumers: ConsumeTriggerEventsOptions[] = [];
  const checks = { count: 0 };
  const sql = Object.assign(
    async (strings: TemplateStringsArray, ...values: unknown[]) => {
      const text = strings.join('$');
      if (text.includes('FROM dag_versions')) {
        checks.count++;
        return world.versions.map((v) => ({
          dag: v.dag,
          version: v.version,
          events: v.model.events as unknown as JsonObject,
        }));
      }
      if (text.includes('FROM dag_schedules')) return world.paused.map((dag) => ({ dag }));
      if (text.includes('INSERT INTO rejected_events')) {
        rejectedInserts.push(values);
        return [];
      }
      throw new Error(`unexpected query: ${text}`);
    },
    { array: (values: unknown[]) => values },
  );
  const logger: Logger = {
    debug: () => {},
    info: (msg) => logged.push(msg),
    warn: (msg) => logged.push(msg),
    error: (msg) => logged.push(msg),
  };
  const bus = {
    prefix: 'trib',
    ensureTriggerStream: async (subjects: readonly string[]) => {
      ensured.push([...subjects]);
    },
    consumeTriggerEvents: (options: ConsumeTriggerEventsOptions) => {
      consumers.push(options);
      return new Promise<void>((resolve) => options.signal.addEventListener('abort', () => resolve()));
    },
  } as unknown as Bus;
  const deps: EventTriggersDeps = {
    db: { sql } as unknown as Database,
    bus,
    loop: {
      schedule: async (pass: SchedulePass): Promise<TriggerOutcome[]> => {
        passes.push(pass);
        return pass.runs.map((run) => {
          const created = !world.existing.has(run.requestId ?? '');
          world.existing.add(run.requestId ?? '');
          return { runId: run.runId, created };
        });
      },
    },
    runs: { version: async (dag) => world.versions.find((v) => v.dag === dag) ?? null },
    logger,
    metrics: { triggerEvents: { inc: (dag, outcome) => counted.push([dag, outcome]) } },
  };
  return {
    triggers: new EventTriggers(deps),
    passes,
    rejectedInserts,
    counted,
    logged,
    ensured,
    consumers,
    checks,
  };
}

function message(subject: string, body: string, streamSequence: number): TriggerMessage {
  return {
    subject,
    data: new TextEncoder().encode(body),
    headers: {},
    streamSequence,
    publishedAt: 1_000,
    redelivered: false,
  };
}

describe('EventTriggers.handle', () => {
  it('creates the runs of a batch in one pass and counts each message by what became of it', async () => {
    const world: World = {
      versions: [
        loadVersion('orders', 'orders.>'),
        loadVersion('audit', 'orders.deleted'),
        loadVersion('pay', 'pay.*'),
      ],
      paused: ['audit'],
      existing: new Set(['event:orders:key:1']),
    };
    const { triggers, passes, rejectedInserts, counted, logged } = setUp(world);
    await triggers.handle([
      message('orders.created', '{"id": 1}', 1),
      message('orders.created', '{"id": 2}', 2),
      message('orders.deleted', '{"id": 3}', 3),
      message('orders.created', '{"no": 4}', 4),
    ]);
    expect(passes).toHaveLength(1);
    expect(passes[0]?.runs.map((run) => run.requestId)).toEqual([
      'event:orders:key:1',
      'event:orders:key:2',
      'event:orders:key:3',
    ]);
    expect(passes[0]).toMatchObject({ states: [], cancels: [], afterConsumed: [] });
    // The rejected row: dag, subject, stream sequence, error, payload (unnest arrays).
    expect(rejectedInserts).toEqual([
      [
        ['orders'],
        ['orders.created'],
        [4],
        [expect.stringMatching(/^on\.params\.order_id: /)],
        ['{"no": 4}'],
      ],
    ]);
    expect(counted).toEqual([
      ['orders', 'duplicate'],
      ['orders', 'started'],
      ['orders', 'started'],
      ['orders', 'rejected'],
      ['audit', 'paused'],
    ]);
    expect(logged.filter((line) => line.includes('paused'))).toHaveLength(1);
  });

  it('schedules nothing and touches no run when no DAG matches', async () => {
    const { triggers, passes, counted } = setUp({
      versions: [loadVersion('pay', 'pay.*')],
      paused: [],
      existing: new Set(),
    });
    await triggers.handle([message('orders.created', '{"id": 1}', 1)]);
    expect(passes).toEqual([]);
    expect(counted).toEqual([]);
  });
});

describe('EventTriggers.run', () => {
  it("points the stream at the DAGs' subjects and consumes it until the signal aborts", async () => {
    const { triggers, ensured, consumers } = setUp({
      versions: [
        loadVersion('pay', 'pay.*'),
        loadVersion('orders', 'orders.>'),
        loadVersion('more', 'orders.>'),
      ],
      paused: [],
      existing: new Set(),
    });
    const controller = new AbortController();
    const running = triggers.run(controller.signal);
    await expect.poll(() => consumers.length).toBe(1);
    expect(ensured).toEqual([['orders.>', 'pay.*']]);
    controller.abort();
    await running;
    expect(consumers[0]?.signal.aborted).toBe(true);
  });

  it("leaves out a subject overlapping Tributary's own and reports it, applying the others", async () => {
    const { triggers, ensured, logged } = setUp({
      versions: [loadVersion('pay', 'pay.*'), loadVersion('odd', 'trib.>')],
      paused: [],
      existing: new Set(),
    });
    const controller = new AbortController();
    const running = triggers.run(controller.signal);
    await expect.poll(() => ensured.length).toBe(1);
    controller.abort();
    await running;
    expect(ensured).toEqual([['pay.*']]);
    expect(logged).toContain('event trigger subjects left out of the stream');
  });

  it('leaves the stream alone and does not consume when no DAG has an `on`', async () => {
    const { triggers, ensured, consumers, checks } = setUp({ versions: [], paused: [], existing: new Set() });
    const controller = new AbortController();
    const running = triggers.run(controller.signal);
    await expect.poll(() => checks.count).toBe(1);
    controller.abort();
    await running;
    // A registration may be adding its subject right now: an empty set must not take it away.
    expect(ensured).toEqual([]);
    expect(consumers).toEqual([]);
  });
});

describe('RetainedSubjects', () => {
  it('keeps a subject no DAG has any more for two checks, then lets it go', () => {
    const retained = new RetainedSubjects();
    expect(retained.with(['a.>', 'b.*'], 0)).toEqual(['a.>', 'b.*']);
    expect(retained.with(['b.*'], TRIGGER_SUBJECTS_CHECK_MS)).toEqual(['a.>', 'b.*']);
    expect(retained.with(['b.*'], 2 * TRIGGER_SUBJECTS_CHECK_MS)).toEqual(['a.>', 'b.*']);
    expect(retained.with(['b.*'], 3 * TRIGGER_SUBJECTS_CHECK_MS)).toEqual(['b.*']);
    expect(retained.with(['b.*'], 4 * TRIGGER_SUBJECTS_CHECK_MS)).toEqual(['b.*']);
  });

  it('forgets that a subject went away when a DAG wants it again', () => {
    const retained = new RetainedSubjects();
    retained.with(['a.>'], 0);
    retained.with([], TRIGGER_SUBJECTS_CHECK_MS);
    expect(retained.with(['a.>'], 2 * TRIGGER_SUBJECTS_CHECK_MS)).toEqual(['a.>']);
    expect(retained.with([], 3 * TRIGGER_SUBJECTS_CHECK_MS)).toEqual(['a.>']);
    expect(retained.with([], 6 * TRIGGER_SUBJECTS_CHECK_MS)).toEqual([]);
  });
});
