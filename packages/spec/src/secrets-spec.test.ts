import { describe, expect, it } from 'vitest';
import { parseDagSpec } from './parse.js';

const parse = (text: string) => parseDagSpec(text, { file: 'dag.yaml' });
const problemsOf = (text: string) =>
  parse(text).problems.map(
    (problem) => `${problem.position?.line}:${problem.position?.column} ${problem.field}: ${problem.message}`,
  );

describe('secrets in the spec', () => {
  it('compiles a task list added to the defaults list, deduplicated, and none for sql and dag tasks', () => {
    const { model, problems } = parse(`
name: x
defaults: { secrets: [SHARED_TOKEN] }
tasks:
  fetch: { kind: shell, command: 'true', secrets: [API_KEY, SHARED_TOKEN, API_KEY] }
  plain: { kind: node, module: ./a.ts }
  q: { kind: sql, connection: warehouse, statement: SELECT 1 }
  child: { kind: dag, dag: other }
`);
    expect(problems).toEqual([]);
    const secrets = Object.fromEntries((model?.tasks ?? []).map((task) => [task.id, task.secrets]));
    expect(secrets).toEqual({
      fetch: ['SHARED_TOKEN', 'API_KEY'],
      plain: ['SHARED_TOKEN'],
      q: [],
      child: [],
    });
  });

  it('gives every matrix instance its own copy of the list', () => {
    const { model } = parse(`
name: x
tasks:
  load: { kind: shell, command: 'true', secrets: [API_KEY], matrix: { region: [eu, us] } }
`);
    const [first, second] = model?.tasks ?? [];
    expect(first?.secrets).toEqual(['API_KEY']);
    expect(second?.secrets).toEqual(['API_KEY']);
    expect(first?.secrets).not.toBe(second?.secrets);
  });

  it('reports each bad name at its entry, with the upper-case spelling when there is one', () => {
    expect(
      problemsOf(`name: x
tasks:
  a:
    kind: shell
    command: 'true'
    secrets: [api-key, 9LIVES, TRIBUTARY_RUN_ID, { a: 1 }]
`),
    ).toEqual([
      "6:15 tasks.a.secrets: invalid secret name 'api-key' (use upper-case letters, digits and _, not starting with a digit, e.g. API_KEY)",
      "6:24 tasks.a.secrets: invalid secret name '9LIVES' (use upper-case letters, digits and _, not starting with a digit)",
      "6:32 tasks.a.secrets: invalid secret name 'TRIBUTARY_RUN_ID' (names starting with TRIBUTARY_ are reserved for the variables Tributary sets)",
      '6:50 tasks.a.secrets: must name a secret (got a mapping)',
    ]);
  });

  it('wants a list, and refuses secrets on sql tasks and in a misspelt defaults field', () => {
    expect(
      problemsOf(`name: x
defaults: { secret: [A_B] }
tasks:
  a: { kind: shell, command: 'true', secrets: API_KEY }
  q: { kind: sql, connection: w, statement: SELECT 1, secrets: [API_KEY] }
`),
    ).toEqual([
      "2:13 defaults.secret: unknown field 'secret' (did you mean 'secrets'?)",
      "4:47 tasks.a.secrets: must be a list of secret names, e.g. [API_TOKEN] (got 'API_KEY')",
      "5:55 tasks.q.secrets: unknown field 'secrets' for a sql task (only node, shell and container tasks have it)",
    ]);
  });

  it('reads secrets: with nothing after it as no secrets', () => {
    const { model, problems } = parse("name: x\ntasks:\n  a: { kind: shell, command: 'true', secrets: }\n");
    expect(problems).toEqual([]);
    expect(model?.tasks[0]?.secrets).toEqual([]);
  });
});
