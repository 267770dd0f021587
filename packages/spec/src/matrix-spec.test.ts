import type { Problem } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { MAX_MATRIX_INSTANCES } from './model.js';
import { parseDagSpec } from './parse.js';

const parse = (...lines: string[]) => parseDagSpec(['name: m', ...lines].join('\n'), { file: 'dag.yaml' });

/** The problems as `line:column field: message`, asserting that no model came with them. */
function problemsOf(...lines: string[]): string[] {
  const { problems, model } = parse(...lines);
  expect(model).toBeUndefined();
  return problems.map(
    (p: Problem) => `${p.position?.line}:${p.position?.column} ${p.field} [${p.taskId}]: ${p.message}`,
  );
}

describe('matrix tasks in the spec', () => {
  it('expands a matrix into instances with ids, values and indexes, in product order', () => {
    const { model, problems } = parse(
      'defaults: { retries: 2 }',
      'tasks:',
      '  load:',
      '    kind: shell',
      '    matrix: { region: [eu, us], size: [small, large] }',
      '    env: { LABEL: "{{ matrix.region }}" }',
      '    command: ./load.sh {{ matrix.region }} {{ matrix.size }}',
      '  report: { kind: shell, needs: [load], command: echo done }',
    );
    expect(problems).toEqual([]);
    expect(model?.tasks.map((task) => task.id)).toEqual([
      'load[0]',
      'load[1]',
      'load[2]',
      'load[3]',
      'report',
    ]);
    expect(model?.tasks.slice(0, 4).map((task) => [task.matrixIndex, task.matrix])).toEqual([
      [0, { region: 'eu', size: 'small' }],
      [1, { region: 'eu', size: 'large' }],
      [2, { region: 'us', size: 'small' }],
      [3, { region: 'us', size: 'large' }],
    ]);
    // Each instance keeps the task's fields, templates unrendered, and its defaults.
    expect(model?.tasks[2]).toMatchObject({
      kind: 'shell',
      command: './load.sh {{ matrix.region }} {{ matrix.size }}',
      env: { LABEL: '{{ matrix.region }}' },
      retries: 2,
    });
    expect(model?.tasks[4]?.needs).toEqual(['load[0]', 'load[1]', 'load[2]', 'load[3]']);
    expect(model?.tasks[4]?.matrix).toBeUndefined();
    expect(model?.tasks[4]?.matrixIndex).toBeUndefined();
  });

  it('keeps numbers and booleans, and expands needs of a matrix task on a matrix task', () => {
    const { model, problems } = parse(
      'tasks:',
      '  a: { kind: node, module: ./a.ts, matrix: { n: [1, 2.5], on: [true, false] } }',
      '  b: { kind: node, module: ./b.ts, needs: [a, "a[1]"], matrix: { k: [x, y] } }',
    );
    expect(problems).toEqual([]);
    expect(model?.tasks.slice(0, 4).map((task) => task.matrix)).toEqual([
      { n: 1, on: true },
      { n: 1, on: false },
      { n: 2.5, on: true },
      { n: 2.5, on: false },
    ]);
    // `a[1]` is among `a`'s instances already: needs stay deduplicated, in order.
    expect(model?.tasks[4]).toMatchObject({ id: 'b[0]', needs: ['a[0]', 'a[1]', 'a[2]', 'a[3]'] });
    expect(model?.tasks[5]).toMatchObject({ id: 'b[1]', matrix: { k: 'y' }, matrixIndex: 1 });
  });

  it('lets a task need one instance, and checks that it exists', () => {
    const { model } = parse(
      'tasks:',
      '  load: { kind: shell, command: "true", matrix: { r: [eu, us] } }',
      '  first:',
      '    kind: shell',
      '    command: "true"',
      '    needs:',
      '      - load[1]',
    );
    expect(model?.tasks.at(-1)?.needs).toEqual(['load[1]']);
    expect(
      problemsOf(
        'tasks:',
        '  load: { kind: shell, command: "true", matrix: { r: [eu, us] } }',
        '  plain: { kind: shell, command: "true" }',
        '  a: { kind: shell, command: "true", needs: ["load[2]", "plain[0]", "lod[0]"] }',
      ),
    ).toEqual([
      "5:46 tasks.a.needs [a]: needs 'load[2]', but 'load' has 2 instances (load[0] to load[1])",
      "5:57 tasks.a.needs [a]: needs 'plain[0]', but 'plain' has no matrix, so it has no instances: write 'plain'",
      "5:69 tasks.a.needs [a]: needs 'lod[0]', which is not a task in this DAG (did you mean 'load'?)",
    ]);
  });

  it('reports a cycle through an instance need', () => {
    expect(
      problemsOf(
        'tasks:',
        '  a: { kind: shell, command: "true", matrix: { r: [eu] }, needs: ["b"] }',
        '  b: { kind: shell, command: "true", needs: ["a[0]"] }',
      ),
    ).toEqual(['3:67 tasks.a.needs [a]: cycle: a -> b -> a']);
  });

  it('reports malformed matrices where they are', () => {
    expect(
      problemsOf(
        'tasks:',
        '  a: { kind: shell, command: "true", matrix: [eu, us] }',
        '  b: { kind: shell, command: "true", matrix: {} }',
        '  c:',
        '    kind: shell',
        '    command: "true"',
        '    matrix:',
        '      region: []',
        '      2x: [a]',
        '      size: small',
        '      deep: [[1], null, {k: v}, .inf]',
      ),
    ).toEqual([
      '3:46 tasks.a.matrix [a]: must be a mapping of keys to lists of values, e.g. { region: [eu, us] } (got a list)',
      '4:46 tasks.b.matrix [b]: must be a mapping of keys to lists of values, e.g. { region: [eu, us] } (got an empty mapping)',
      '9:15 tasks.c.matrix.region [c]: must be a non-empty list of values, e.g. [eu, us] (got an empty list)',
      "10:7 tasks.c.matrix.2x [c]: invalid matrix key '2x' (use letters, digits and _, not starting with a digit: it is read as {{ matrix.2x }})",
      "11:13 tasks.c.matrix.size [c]: must be a non-empty list of values, e.g. [eu, us] (got 'small')",
      '12:14 tasks.c.matrix.deep [c]: a matrix value must be a string, number or boolean (got a list)',
      '12:19 tasks.c.matrix.deep [c]: a matrix value must be a string, number or boolean (got nothing)',
      '12:25 tasks.c.matrix.deep [c]: a matrix value must be a string, number or boolean (got a mapping)',
      '12:33 tasks.c.matrix.deep [c]: a matrix value must be a string, number or boolean (got Infinity)',
    ]);
  });

  it('limits a matrix to MAX_MATRIX_INSTANCES instances, naming the task and the count', () => {
    const values = (n: number) => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
    const ok = parse(
      'tasks:',
      `  a: { kind: shell, command: "true", matrix: { x: ${values(16)}, y: ${values(16)} } }`,
    );
    expect(ok.model?.tasks).toHaveLength(MAX_MATRIX_INSTANCES);
    expect(
      problemsOf(
        'tasks:',
        `  big: { kind: shell, command: "true", matrix: { x: ${values(16)}, y: ${values(16)}, z: [a, b] } }`,
      ),
    ).toEqual([
      "3:48 tasks.big.matrix [big]: the matrix of task 'big' expands to 512 instances (16 x 16 x 2), more than the 256 allowed",
    ]);
  });

  it('refuses a matrix on a branch task and under defaults', () => {
    expect(
      problemsOf(
        'defaults: { matrix: { r: [a] } }',
        'tasks:',
        '  choose: { kind: shell, command: echo a, branch: true, matrix: { r: [a, b] } }',
        '  a: { kind: shell, command: "true", needs: [choose] }',
      ),
    ).toEqual([
      "2:13 defaults.matrix [undefined]: unknown field 'matrix' (it cannot be a default; set it on each task)",
      '4:65 tasks.choose.matrix [choose]: a branch task cannot have a matrix',
    ]);
  });

  it('checks matrix templates: keys, tasks without a matrix, and inputs of matrix tasks', () => {
    expect(
      problemsOf(
        'tasks:',
        '  load:',
        '    kind: shell',
        '    matrix: { region: [eu], size: [s] }',
        '    command: load {{ matrix.regoin }} {{ matrix }} {{ matrix.size.x }}',
        '  q:',
        '    kind: sql',
        '    connection: wh',
        '    needs: [load]',
        '    statement: SELECT {{ matrix.region }}, {{ inputs.load.rows }}',
        '  n:',
        '    kind: node',
        '    module: ./n.ts',
        '    needs: ["load[0]"]',
        '    env: { X: "{{ inputs.load[0].x }}" }',
      ),
    ).toEqual([
      "6:14 tasks.load.command [load]: unknown matrix key 'regoin' in {{ matrix.regoin }} (did you mean 'region'?) (task 'load' has: region, size)",
      '6:14 tasks.load.command [load]: {{ matrix }}: name a key, as matrix.<key>',
      '6:14 tasks.load.command [load]: {{ matrix.size.x }}: matrix.size is a single value and has no fields',
      "11:16 tasks.q.statement [q]: {{ matrix.region }}: task 'q' has no matrix, so matrix names nothing",
      "11:16 tasks.q.statement [q]: {{ inputs.load.rows }}: 'load' is a matrix task, run as load[0], load[1], ..., and templates cannot read their outputs; read them in the task's code, as ctx.inputs['load[0]'] (node) or from the TRIBUTARY_INPUTS JSON (shell)",
      "16:15 tasks.n.env.X [n]: {{ inputs.load[0].x }}: 'load' is a matrix task, run as load[0], load[1], ..., and templates cannot read their outputs; read them in the task's code, as ctx.inputs['load[0]'] (node) or from the TRIBUTARY_INPUTS JSON (shell)",
    ]);
  });

  it('checks matrix names in defaults.env against every task that inherits them', () => {
    const lines = (other: string) => [
      'defaults: { env: { REGION: "{{ matrix.region }}" } }',
      'tasks:',
      '  load: { kind: shell, command: "true", matrix: { region: [eu, us] } }',
      other,
    ];
    expect(parse(...lines('  q: { kind: sql, connection: wh, statement: SELECT 1 }')).problems).toEqual([]);
    expect(problemsOf(...lines('  plain: { kind: shell, command: "true" }'))).toEqual([
      "2:28 defaults.env.REGION [undefined]: {{ matrix.region }} reads matrix key 'region', which 'plain' (inheriting defaults.env.REGION) do not have: give them that matrix key, or set env.REGION on them",
    ]);
  });
});
