import { describe, expect, it } from 'vitest';
import { parseDagSpec } from './parse.js';

const parse = (text: string) => parseDagSpec(text, { file: 'dag.yaml' });
const problemsOf = (text: string) =>
  parse(text).problems.map(
    (problem) => `${problem.position?.line}:${problem.position?.column} ${problem.field}: ${problem.message}`,
  );

describe('dag tasks in the spec', () => {
  it('compiles dag, params and wait, keeping templates verbatim and giving no env', () => {
    const { model, problems } = parse(`
name: parent
params:
  day: { type: string, default: '2026-01-01' }
defaults: { env: { REGION: eu }, retries: 1 }
tasks:
  child:
    kind: dag
    dag: load-orders
    params:
      day: '{{ params.day }}'
      limit: 5
      regions: [eu, us]
      nested: { a: 1 }
    timeout: 1h
  later: { kind: dag, dag: other, wait: false, needs: child }
`);
    expect(problems).toEqual([]);
    const [child, later] = model?.tasks ?? [];
    expect(child).toMatchObject({
      kind: 'dag',
      dag: 'load-orders',
      params: { day: '{{ params.day }}', limit: 5, regions: ['eu', 'us'], nested: { a: 1 } },
      wait: true,
      env: {},
      retries: 1,
      timeoutMs: 3_600_000,
      sensor: null,
      branch: false,
    });
    expect(later).toMatchObject({ kind: 'dag', dag: 'other', params: {}, wait: false, needs: ['child'] });
  });

  it('requires dag, checks its name pattern, the param names and wait, with positions', () => {
    expect(
      problemsOf(`name: x
tasks:
  a: { kind: dag }
  b: { kind: dag, dag: Bad_Name, wait: maybe }
  c: { kind: dag, dag: ok, params: { 1st: x, good: .nan } }
  d: { kind: dag, dag: ok, params: [a] }
`),
    ).toEqual([
      "3:3 tasks.a.dag: missing required field 'dag'",
      "4:24 tasks.b.dag: invalid DAG name 'Bad_Name' (use lower-case letters, digits, _ and -, starting with a letter)",
      "4:40 tasks.b.wait: must be true or false (got 'maybe')",
      "5:38 tasks.c.params.1st: invalid parameter name '1st' (use letters, digits and _)",
      '5:52 tasks.c.params.good: must be a JSON value: a string, finite number, boolean, null, list or mapping',
      '6:36 tasks.d.params: must be a mapping of parameter names to values (got a list)',
    ]);
  });

  it('refuses env, sensor and branch on a dag task', () => {
    expect(
      problemsOf(`name: x
tasks:
  q: { kind: dag, dag: y, env: { A: b }, sensor: {}, branch: true }
`),
    ).toEqual([
      "3:27 tasks.q.env: unknown field 'env' for a dag task (only node, shell and container tasks have it)",
      "3:42 tasks.q.sensor: unknown field 'sensor' for a dag task (only node, shell and container tasks have it)",
      "3:54 tasks.q.branch: unknown field 'branch' for a dag task (only node, shell and container tasks have it)",
    ]);
  });

  it('checks the templates of string params like env values, and only for dag tasks', () => {
    expect(
      problemsOf(`name: x
params: { region: { type: string } }
defaults: { env: { FROM: '{{ inputs.a }}' } }
tasks:
  a: { kind: shell, command: echo 1, env: { FROM: x } }
  q:
    kind: dag
    dag: y
    params:
      region: '{{ params.regoin }}'
      count: '{{ inputs.a.n }}'
      ok: '{{ run.id }}-{{ task.id }}-{{ attempt }}'
      nested: { raw: '{{ not.checked }}' }
`),
    ).toEqual([
      "10:15 tasks.q.params.region: {{ params.regoin }}: 'regoin' is not a param of this DAG (did you mean 'region'?)",
      "11:14 tasks.q.params.count: {{ inputs.a.n }} reads the output of 'a', which task 'q' does not need: add 'a' to its needs",
    ]);
  });
});
