import { createHash } from 'node:crypto';
import type { TriggerMessage } from '@tributary/bus';
import { parseDagSpec } from '@tributary/spec';
import { describe, expect, it } from 'vitest';
import { compileVersion, type LoadedVersion } from './active-runs.js';
import {
  type EventTriggerTarget,
  eventScope,
  MAX_PLAIN_DEDUPE_KEY_BYTES,
  planEventTriggers,
  REJECTED_PAYLOAD_BYTES,
} from './event-triggers-plan.js';

const PUBLISHED_AT = Date.UTC(2026, 11, 7, 12);

/** A version of DAG `name` from its spec: `order_id` (integer, required) and `region` (default eu). */
function version(name: string, on: string): LoadedVersion {
  const parsed = parseDagSpec(
    `name: ${name}
params:
  order_id: { type: integer }
  region: { type: string, default: eu }
on:
${on}
tasks:
  t: { kind: shell, command: "true" }
`,
    { file: 'dag.yaml', files: new Set(['dag.yaml']) },
  );
  if (!parsed.model) throw new Error(`test spec invalid: ${JSON.stringify(parsed.problems)}`);
  return compileVersion({ dag: name, version: 3, bundleHash: 'h', model: parsed.model });
}

function target(name: string, on: string, paused = false): EventTriggerTarget {
  const loaded = version(name, on);
  const subject = loaded.model.events?.subject ?? '';
  return { dag: name, subject, paused, version: paused ? null : loaded };
}

const orders = (dedupe = '') =>
  target('orders', `  subject: orders.created.>\n  params: { order_id: "{{ event.data.id }}" }\n${dedupe}`);

function message(
  subject: string,
  body: string | Uint8Array,
  extra: Partial<TriggerMessage> = {},
): TriggerMessage {
  return {
    subject,
    data: typeof body === 'string' ? new TextEncoder().encode(body) : body,
    headers: {},
    streamSequence: 41,
    publishedAt: PUBLISHED_AT,
    redelivered: false,
    ...extra,
  };
}

/** Run ids in order, so that tests can name them. */
function sequentialIds(): () => string {
  let next = 0;
  return () => `run-${++next}`;
}

describe('planEventTriggers', () => {
  it('starts a run with rendered params, defaults applied, keyed by the stream sequence', () => {
    const plan = planEventTriggers(
      [message('orders.created.eu', '{"id": 7}', { streamSequence: 12 })],
      [orders()],
      sequentialIds(),
    );
    expect(plan.rejected).toEqual([]);
    expect(plan.runs).toHaveLength(1);
    expect(plan.runs[0]).toMatchObject({
      runId: 'run-1',
      params: { order_id: 7, region: 'eu' },
      requestId: 'event:orders:seq:12',
      origin: { type: 'event', logicalDate: PUBLISHED_AT, dataIntervalEnd: PUBLISHED_AT },
    });
    expect(plan.runs[0]?.version.dag).toBe('orders');
  });

  it('keys runs by the rendered dedupe key, the same for two messages with the same key', () => {
    const plan = planEventTriggers(
      [
        message('orders.created.eu', '{"id": 7}', { streamSequence: 1 }),
        message('orders.created.us', '{"id": 7}', { streamSequence: 2 }),
      ],
      [orders('  dedupe_key: "{{ event.data.id }}"')],
    );
    expect(plan.runs.map((run) => run.requestId)).toEqual(['event:orders:key:7', 'event:orders:key:7']);
  });

  it('replaces a dedupe key too long for the request id index with its SHA-256', () => {
    const id = 'x'.repeat(MAX_PLAIN_DEDUPE_KEY_BYTES + 1);
    const plan = planEventTriggers(
      [message('orders.created.eu', JSON.stringify({ id: 1, key: id }))],
      [orders('  dedupe_key: "{{ event.data.key }}"')],
    );
    const hash = createHash('sha256').update(id).digest('hex');
    expect(plan.runs[0]?.requestId).toBe(`event:orders:key-sha256:${hash}`);
  });

  it('renders the subject, headers and a body that is not JSON', () => {
    const tagged = target(
      'tagged',
      [
        '  subject: "tags.*"',
        '  params:',
        '    order_id: 1',
        '    region: "{{ event.subject }}/{{ event.headers.Source }}/{{ event.data }}"',
      ].join('\n'),
    );
    const plan = planEventTriggers(
      [message('tags.blue', 'not json', { headers: { Source: 'shop' } })],
      [tagged],
    );
    expect(plan.runs[0]?.params).toEqual({ order_id: 1, region: 'tags.blue/shop/not json' });
  });

  it('passes a traceparent header on, so that the run joins the publisher’s trace', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const plan = planEventTriggers(
      [message('orders.created.eu', '{"id": 7}', { headers: { traceparent } })],
      [orders()],
    );
    expect(plan.runs[0]?.traceparent).toBe(traceparent);
  });

  it('rejects a message whose params cannot be rendered, naming the param field and why', () => {
    const plan = planEventTriggers(
      [message('orders.created.eu', '{"number": 7}', { streamSequence: 9 })],
      [orders()],
    );
    expect(plan.runs).toEqual([]);
    expect(plan.rejected).toEqual([
      {
        dag: 'orders',
        subject: 'orders.created.eu',
        streamSeq: 9,
        error: expect.stringMatching(/^on\.params\.order_id: .*event\.data has no field 'id'/),
        payload: '{"number": 7}',
      },
    ]);
  });

  it("rejects a message whose params do not fit the DAG's schema, naming the param", () => {
    const plan = planEventTriggers([message('orders.created.eu', '{"id": "seven"}')], [orders()]);
    expect(plan.runs).toEqual([]);
    expect(plan.rejected[0]?.error).toMatch(/^params\.order_id: .*integer/);
  });

  it('keeps the first 4 KiB of a rejected body, without NUL characters (Postgres text holds none)', () => {
    const body = `\u0000${'p'.repeat(2 * REJECTED_PAYLOAD_BYTES)}`;
    const plan = planEventTriggers([message('orders.created.eu', body)], [orders()]);
    const [rejected] = plan.rejected;
    expect(rejected?.payload).toBe(`\uFFFD${'p'.repeat(REJECTED_PAYLOAD_BYTES - 1)}`);
  });

  it('rejects a param value holding a NUL character, which no run row could store', () => {
    const tagged = target(
      'tagged',
      '  subject: tags\n  params: { order_id: 1, region: "{{ event.data.r }}" }',
    );
    const plan = planEventTriggers([message('tags', '{"r": "a\\u0000b"}')], [tagged]);
    expect(plan.runs).toEqual([]);
    expect(plan.rejected[0]?.error).toMatch(/^on\.params\.region: .*NUL/);
  });

  it('counts messages for a paused DAG and starts nothing for it', () => {
    const plan = planEventTriggers(
      [message('orders.created.eu', '{"id": 1}'), message('orders.created.us', '{"id": 2}')],
      [target('orders', '  subject: orders.created.>\n  params: { order_id: 1 }', true)],
    );
    expect(plan).toEqual({ runs: [], rejected: [], paused: new Map([['orders', 2]]), unmatched: 0 });
  });

  it('starts a run of every DAG whose subject matches, and counts messages no DAG takes', () => {
    const everything = target('everything', '  subject: "orders.>"\n  params: { order_id: 0 }');
    const plan = planEventTriggers(
      [
        message('orders.created.eu', '{"id": 5}'),
        message('orders.deleted', '{}'),
        message('payments.done', '{}'),
      ],
      [orders(), everything],
      sequentialIds(),
    );
    expect(plan.runs.map((run) => [run.version.dag, run.params.order_id])).toEqual([
      ['orders', 5],
      ['everything', 0],
      ['everything', 0],
    ]);
    expect(plan.unmatched).toBe(1);
  });
});

describe('eventScope', () => {
  it('parses a JSON body and keeps any other body as text', () => {
    expect(eventScope(message('a', '[1, 2]'))).toEqual({
      event: { subject: 'a', data: [1, 2], headers: {} },
    });
    expect(eventScope(message('a', ''))).toEqual({ event: { subject: 'a', data: '', headers: {} } });
  });
});
