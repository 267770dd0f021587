import { describe, expect, it } from 'vitest';
import { parseDagSpec } from './parse.js';

const parse = (text: string) => parseDagSpec(text, { file: 'dag.yaml' });
const problemsOf = (text: string) =>
  parse(text).problems.map(
    (problem) => `${problem.position?.line}:${problem.position?.column} ${problem.field}: ${problem.message}`,
  );
const TASKS = 'tasks: { a: { kind: shell, command: x } }\n';
const EVENT_HINT =
  'an event template holds one name: event.subject, event.data[.<field>...] (with [0]-style indexes) or ' +
  'event.headers.<name>';

describe('on (event triggers) in the spec', () => {
  it('compiles a subject alone with no params and no dedupe key', () => {
    const { model, problems } = parse(`name: x\non: { subject: "orders.*.eu" }\n${TASKS}`);
    expect(problems).toEqual([]);
    expect(model?.events).toEqual({ subject: 'orders.*.eu', params: {}, dedupeKey: null });
    expect(model?.schedule).toBeNull();
  });

  it('lets on.params give the params without default, from any part of the message', () => {
    const { model, problems } = parse(`name: x
params:
  order_id: { type: string }
  items: { type: array }
  source: { type: string }
  region: { type: string, default: eu }
on:
  subject: orders.>
  params:
    order_id: "{{ event.data.id }}"
    items: "{{ event.data.lines[0].items }}"
    source: "{{ event.headers.Nats-Msg-Id }}/{{ event.subject }}"
  dedupe_key: "{{ event.data.id }}-{{ event.headers.X-Version }}"
${TASKS}`);
    expect(problems).toEqual([]);
    expect(model?.events?.params).toEqual({
      order_id: '{{ event.data.id }}',
      items: '{{ event.data.lines[0].items }}',
      source: '{{ event.headers.Nats-Msg-Id }}/{{ event.subject }}',
    });
  });

  it('reports an on that is not a mapping, and a missing or misspelt subject', () => {
    expect(problemsOf(`name: x\non: orders.created\n${TASKS}`)).toEqual([
      "2:5 on: must be a mapping with 'subject', e.g. { subject: orders.created } (got 'orders.created')",
    ]);
    expect(problemsOf(`name: x\non: { subjct: orders }\n${TASKS}`)).toEqual([
      "2:1 on.subject: missing required field 'subject'",
      "2:7 on.subjct: unknown field 'subjct' (did you mean 'subject'?)",
    ]);
  });

  it('reports subjects NATS would refuse or that belong to the server', () => {
    const problem = (subject: string) => problemsOf(`name: x\non: { subject: "${subject}" }\n${TASKS}`);
    expect(problem('orders..created')).toEqual([
      "2:16 on.subject: invalid NATS subject 'orders..created': a token between dots is empty",
    ]);
    expect(problem('$JS.API.>')).toEqual([
      "2:16 on.subject: invalid NATS subject '$JS.API.>': subjects starting with '$' are the NATS server's own ($JS, $SYS, ...)",
    ]);
    expect(problem('orders.>.eu')).toEqual([
      "2:16 on.subject: invalid NATS subject 'orders.>.eu': '>' matches the rest of a subject, so it can only be the whole last token (orders.>)",
    ]);
    expect(problem('orders.cre*')).toEqual([
      "2:16 on.subject: invalid NATS subject 'orders.cre*': '*' matches one whole token, so it stands alone between dots (orders.*.eu)",
    ]);
    expect(problem('orders created')).toEqual([
      "2:16 on.subject: invalid NATS subject 'orders created': a subject cannot hold whitespace",
    ]);
    expect(problem('')).toEqual(["2:16 on.subject: must be a non-empty string (got '')"]);
  });

  it('reports on.params keys that are not params, with a suggestion, and params left without a value', () => {
    expect(
      problemsOf(`name: x
params:
  order_id: { type: string }
  region: { type: string, default: eu }
  day: { type: string }
on:
  subject: orders.created
  params:
    order_id: "{{ event.data.id }}"
    regon: eu
${TASKS}`),
    ).toEqual([
      "8:3 on.params: param 'day' has no default and on.params does not set it: a run started by a message needs a value for it",
      "10:5 on.params.regon: 'regon' is not a param of this DAG (did you mean 'region'?)",
    ]);
    expect(problemsOf(`name: x\nparams: { day: { type: string } }\non: { subject: a }\n${TASKS}`)).toEqual([
      "3:1 on.params: param 'day' has no default and on.params does not set it: a run started by a message needs a value for it",
    ]);
    expect(problemsOf(`name: x\non: { subject: a, params: { day: monday } }\n${TASKS}`)).toEqual([
      "2:29 on.params.day: 'day' is not a param of this DAG (it declares no params)",
    ]);
  });

  it('reports templates that name anything but the message, at each value', () => {
    expect(
      problemsOf(`name: x
params: { a: { type: string, default: '' }, b: { type: string, default: '' }, c: { type: string, default: '' }, d: { type: string, default: '' }, e: { type: string, default: '' }, f: { type: string, default: '' }, h: { type: string, default: '' }, i: { type: string, default: '' } }
on:
  subject: orders.created
  params:
    a: "{{ params.x }}"
    b: "{{ event.dta.id }}"
    c: "{{ event.headers }}"
    d: "{{ event.subject.x }}"
    e: "{{ evnt.data }}"
    f: "{{ event.data | upper }}"
    h: "{{ event.headers.a.b }}"
    i: "{{ event }}"
${TASKS}`),
    ).toEqual([
      `6:8 on.params.a: {{ params.x }}: an event template reads only the message that starts the run (${EVENT_HINT})`,
      "7:8 on.params.b: unknown name 'event.dta' in {{ event.dta.id }} (did you mean 'data'?) (use event.subject, event.data or event.headers.<name>)",
      '8:8 on.params.c: {{ event.headers }}: name a header, as event.headers.<name>',
      '9:8 on.params.d: {{ event.subject.x }}: event.subject is a string and has no fields',
      `10:8 on.params.e: unknown name 'evnt' in {{ evnt.data }} (did you mean 'event'?) (${EVENT_HINT})`,
      `11:8 on.params.f: unsupported template '{{ event.data | upper }}': filters and expressions are not supported (${EVENT_HINT}; write '\\{{' for a literal '{{')`,
      '12:8 on.params.h: {{ event.headers.a.b }}: a header is a string and has no fields',
      '13:8 on.params.i: {{ event }}: name what to read: event.subject, event.data or event.headers.<name>',
    ]);
  });

  it('reports a dedupe_key that names anything but the message, or holds no template at all', () => {
    expect(problemsOf(`name: x\non: { subject: a, dedupe_key: "{{ run.id }}" }\n${TASKS}`)).toEqual([
      `2:31 on.dedupe_key: {{ run.id }}: an event template reads only the message that starts the run (${EVENT_HINT})`,
    ]);
    expect(problemsOf(`name: x\non: { subject: a, dedupe_key: order }\n${TASKS}`)).toEqual([
      "2:31 on.dedupe_key: dedupe_key 'order' holds no template, so every message would have the same key and only the first would start a run: use a name from the message, e.g. {{ event.data.id }}",
    ]);
    expect(problemsOf(`name: x\non: { subject: a, dedupe_key: 42 }\n${TASKS}`)).toEqual([
      "2:31 on.dedupe_key: must be a non-empty string (got 42) (quote it: '42')",
    ]);
  });
});
