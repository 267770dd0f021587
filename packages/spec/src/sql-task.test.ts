import { describe, expect, it } from 'vitest';
import { DEFAULT_SQL_MAX_ROWS } from './model.js';
import { parseDagSpec } from './parse.js';

const parse = (text: string) => parseDagSpec(text, { file: 'dag.yaml' });
const problemsOf = (text: string) =>
  parse(text).problems.map((problem) => `${problem.field}: ${problem.message}`);

describe('sql tasks in the spec', () => {
  it('compiles connection, statement and max_rows, keeping templates verbatim', () => {
    const { model, problems } = parse(`
name: x
params:
  day: { type: string, default: '2026-01-01' }
tasks:
  orders:
    kind: sql
    connection: warehouse
    statement: SELECT * FROM orders WHERE day = {{ params.day }}
    max_rows: 50
    timeout: 30s
    retries: 2
`);
    expect(problems).toEqual([]);
    expect(model?.tasks[0]).toMatchObject({
      kind: 'sql',
      connection: 'warehouse',
      statement: 'SELECT * FROM orders WHERE day = {{ params.day }}',
      maxRows: 50,
      timeoutMs: 30_000,
      retries: 2,
      sensor: null,
      branch: false,
    });
  });

  it('keeps 1000 rows by default and gives a sql task no env, even from defaults', () => {
    const { model, problems } = parse(`
name: x
defaults: { env: { REGION: eu }, retries: 1 }
tasks:
  q: { kind: sql, connection: warehouse, statement: SELECT 1 }
  s: { kind: shell, command: 'true', needs: q }
`);
    expect(problems).toEqual([]);
    const [q, s] = model?.tasks ?? [];
    expect(DEFAULT_SQL_MAX_ROWS).toBe(1000);
    expect(q).toMatchObject({ maxRows: 1000, env: {}, retries: 1 });
    expect(s).toMatchObject({ env: { REGION: 'eu' } });
  });

  it('requires a connection and a statement', () => {
    expect(problemsOf('name: x\ntasks:\n  q: { kind: sql }\n')).toEqual([
      "tasks.q.connection: missing required field 'connection'",
      "tasks.q.statement: missing required field 'statement'",
    ]);
  });

  it('refuses a connection name that cannot be an environment variable suffix, and bad max_rows', () => {
    expect(
      problemsOf(`
name: x
tasks:
  a: { kind: sql, connection: my-db, statement: SELECT 1, max_rows: 0 }
  b: { kind: sql, connection: '1st', statement: ' ', max_rows: 2.5 }
  c: { kind: sql, connection: ok, statement: SELECT 1, max_rows: 1000001 }
`),
    ).toEqual([
      "tasks.a.connection: invalid connection name 'my-db' (use letters, digits and _, starting with a letter)",
      'tasks.a.max_rows: must be a whole number of rows from 1 to 1000000 (got 0)',
      "tasks.b.connection: invalid connection name '1st' (use letters, digits and _, starting with a letter)",
      "tasks.b.statement: must be a non-empty string (got ' ')",
      'tasks.b.max_rows: must be a whole number of rows from 1 to 1000000 (got 2.5)',
      'tasks.c.max_rows: must be a whole number of rows from 1 to 1000000 (got 1000001)',
    ]);
  });

  it('refuses env, sensor and branch on a sql task, naming the kinds that have them', () => {
    expect(
      problemsOf(`
name: x
tasks:
  q: { kind: sql, connection: w, statement: SELECT 1, env: { A: b }, sensor: {}, branch: true }
`),
    ).toEqual([
      "tasks.q.env: unknown field 'env' for a sql task (only node, shell and container tasks have it)",
      "tasks.q.sensor: unknown field 'sensor' for a sql task (only node, shell and container tasks have it)",
      "tasks.q.branch: unknown field 'branch' for a sql task (only node, shell and container tasks have it)",
    ]);
  });

  it('checks the names in a statement like those of a command', () => {
    expect(
      problemsOf(`
name: x
params: { region: { type: string } }
tasks:
  a: { kind: shell, command: echo 1 }
  q: { kind: sql, connection: w, statement: 'SELECT {{ params.regoin }}, {{ inputs.a.n }}' }
`),
    ).toEqual([
      "tasks.q.statement: {{ params.regoin }}: 'regoin' is not a param of this DAG (did you mean 'region'?)",
      "tasks.q.statement: {{ inputs.a.n }} reads the output of 'a', which task 'q' does not need: add 'a' to its needs",
    ]);
  });

  it('refuses a template inside a SQL string literal or comment, where a bind parameter is plain text', () => {
    const problems = problemsOf(`
name: x
params: { day: { type: string } }
tasks:
  q:
    kind: sql
    connection: w
    statement: |
      SELECT * FROM t -- for {{ params.day }}
      WHERE day = '{{ params.day }}' AND note = $$ {{ params.day }} $$ AND d = {{ params.day }}
`);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^tasks\.q\.statement: template \{\{ params\.day \}\} is in a comment: /);
    expect(problems[1]).toMatch(/is inside a string literal: a template becomes a bind parameter/);
    expect(problems[2]).toMatch(/is inside a dollar-quoted string/);
  });

  it('does not ask a sql task to need what a defaults.env value reads: it inherits no env', () => {
    expect(
      problemsOf(`
name: x
defaults: { env: { FROM: '{{ inputs.a }}' } }
tasks:
  a: { kind: sql, connection: w, statement: SELECT 1 }
  b: { kind: shell, command: 'true', needs: a }
  c: { kind: sql, connection: w, statement: SELECT 2 }
`),
    ).toEqual([]);
  });
});
