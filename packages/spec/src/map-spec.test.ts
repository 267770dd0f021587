import type { Problem } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { parseDagSpec } from './parse.js';

const parse = (...lines: string[]) => parseDagSpec(['name: m', ...lines].join('\n'), { file: 'dag.yaml' });

/** The problems as `line field [task]: message`, asserting that no model came with them. */
function problemsOf(...lines: string[]): string[] {
  const { problems, model } = parse(...lines);
  expect(model).toBeUndefined();
  return problems.map((p: Problem) => `${p.position?.line} ${p.field} [${p.taskId}]: ${p.message}`);
}

const LIST = '  list: { kind: node, module: ./list.ts }';

describe('mapped tasks in the spec', () => {
  it('compiles map into one task with its upstream and path, and leaves other tasks unmapped', () => {
    const { model, problems } = parse(
      'tasks:',
      '  list_files: { kind: node, module: ./list.ts }',
      '  process:',
      '    kind: shell',
      '    needs: [list_files]',
      '    map: { over: inputs.list_files.files }',
      '    env: { NAME: "{{ map.item.name }}", FIRST: "{{ map.item.parts[0] }}" }',
      '    command: echo {{ map.item }} {{ map.index }}',
      '  summarise:',
      '    kind: node',
      '    module: ./sum.ts',
      '    needs: [process]',
      '    env: { ALL: "{{ inputs.process }}", SECOND: "{{ inputs.process[1].size }}" }',
    );
    expect(problems).toEqual([]);
    expect(model?.tasks.map((task) => task.id)).toEqual(['list_files', 'process', 'summarise']);
    const [list, process, summarise] = model?.tasks ?? [];
    expect(process).toMatchObject({
      needs: ['list_files'],
      map: { over: 'inputs.list_files.files', upstream: 'list_files', path: ['files'] },
      command: 'echo {{ map.item }} {{ map.index }}',
    });
    expect(process).not.toHaveProperty('mapIndex');
    expect(process).not.toHaveProperty('mapItem');
    expect(list?.map).toBeNull();
    expect(summarise).toMatchObject({ needs: ['process'], map: null });
  });

  it('maps every task kind, over a nested path or a whole output', () => {
    const { model, problems } = parse(
      'tasks:',
      LIST,
      '  n: { kind: node, module: ./n.ts, needs: [list], map: { over: inputs.list.batches.0.keys } }',
      '  q:',
      '    kind: sql',
      '    connection: warehouse',
      '    needs: [list]',
      '    map: { over: inputs.list }',
      '    statement: SELECT * FROM t WHERE id = {{ map.item.id }} LIMIT {{ map.index }}',
      '  d:',
      '    kind: dag',
      '    dag: child',
      '    needs: [list]',
      '    map: { over: inputs.list.days }',
      '    params: { day: "{{ map.item }}", n: "{{ map.index }}" }',
    );
    expect(problems).toEqual([]);
    expect(model?.tasks.map((task) => task.map?.path ?? null)).toEqual([
      null,
      ['batches', '0', 'keys'],
      [],
      ['days'],
    ]);
  });

  it('maps over the output of one matrix instance named in needs', () => {
    const { model, problems } = parse(
      'tasks:',
      '  load: { kind: shell, command: "true", matrix: { r: [eu, us] } }',
      '  p: { kind: shell, command: "true", needs: ["load[1]"], map: { over: "inputs.load[1].rows" } }',
    );
    expect(problems).toEqual([]);
    expect(model?.tasks[2]?.map).toEqual({
      over: 'inputs.load[1].rows',
      upstream: 'load[1]',
      path: ['rows'],
    });
  });

  it('reports a map that is not a mapping, a missing or unknown key, and a bad over', () => {
    expect(
      problemsOf(
        'tasks:',
        LIST,
        '  a: { kind: node, module: ./a.ts, needs: [list], map: inputs.list.files }',
        '  b: { kind: node, module: ./b.ts, needs: [list], map: { ovr: inputs.list.files } }',
        '  c: { kind: node, module: ./c.ts, needs: [list], map: { over: inputs.list., each: 2 } }',
        '  d: { kind: node, module: ./d.ts, needs: [list], map: { over: params.files } }',
        '  e: { kind: node, module: ./e.ts, needs: [list], map: { over: 3 } }',
      ),
    ).toEqual([
      "4 tasks.a.map [a]: must be a mapping with 'over', e.g. { over: inputs.list_files.files } (got 'inputs.list.files')",
      "5 tasks.b.map.over [b]: missing required field 'over'",
      "5 tasks.b.map.ovr [b]: unknown field 'ovr' (did you mean 'over'?)",
      "6 tasks.c.map.over [c]: invalid map.over 'inputs.list.': write inputs.<task> then .<field> or .<index> segments, e.g. inputs.list_files.files or inputs.scan.batches.0",
      "6 tasks.c.map.each [c]: unknown field 'each'",
      "7 tasks.d.map.over [d]: invalid map.over 'params.files': write inputs.<task> then .<field> or .<index> segments, e.g. inputs.list_files.files or inputs.scan.batches.0",
      "8 tasks.e.map.over [e]: must be a string (got 3) (quote it: '3')",
    ]);
  });

  it('reports a map.over whose task is not in needs, naming it', () => {
    expect(
      problemsOf(
        'tasks:',
        LIST,
        '  a: { kind: node, module: ./a.ts, map: { over: inputs.list.files } }',
        '  b:',
        '    kind: node',
        '    module: ./b.ts',
        '    needs: [list]',
        '    map:',
        '      over: inputs.lst.files',
      ),
    ).toEqual([
      "4 tasks.a.map.over [a]: map.over reads inputs.list, but 'list' is not in needs: add 'list' to needs",
      "10 tasks.b.map.over [b]: map.over reads inputs.lst, but 'lst' is not in needs, which is not a task in this DAG (did you mean 'list'?)",
    ]);
  });

  it('reports a map.over that reads a matrix task, which has no single output', () => {
    expect(
      problemsOf(
        'tasks:',
        '  load: { kind: shell, command: "true", matrix: { r: [eu, us] } }',
        '  p: { kind: shell, command: "true", needs: [load], map: { over: inputs.load.rows } }',
      ),
    ).toEqual([
      "4 tasks.p.map.over [p]: map.over reads inputs.load, but 'load' is a matrix task, run as load[0], load[1], ..., which has no single output: map over one instance's output (inputs.load[0]...)",
    ]);
  });

  it('reports map with matrix, map on a branch task, and map in defaults', () => {
    expect(
      problemsOf(
        'defaults:',
        '  map: { over: inputs.list }',
        'tasks:',
        LIST,
        '  a:',
        '    kind: shell',
        '    command: "true"',
        '    needs: [list]',
        '    matrix: { r: [eu] }',
        '    map: { over: inputs.list }',
        '  b: { kind: shell, command: echo c, needs: [list], branch: true, map: { over: inputs.list } }',
        '  c: { kind: shell, command: "true", needs: [b] }',
      ),
    ).toEqual([
      "3 defaults.map [undefined]: unknown field 'map' (it cannot be a default; set it on each task)",
      '11 tasks.a.map [a]: a task cannot have both map and matrix: use one fan-out per task',
      '12 tasks.b.map [b]: a branch task cannot have a map',
    ]);
  });

  it('reports a needs entry naming one instance of a mapped task', () => {
    expect(
      problemsOf(
        'tasks:',
        LIST,
        '  p: { kind: shell, command: "true", needs: [list], map: { over: inputs.list } }',
        '  q: { kind: shell, command: "true", needs: ["p[0]"] }',
      ),
    ).toEqual([
      "5 tasks.q.needs [q]: needs 'p[0]', but 'p' is mapped: its instances exist only at run time, so write 'p' (its output is the list of theirs)",
    ]);
  });
});

describe('map templates', () => {
  it('reports map names in a task without map, like matrix names', () => {
    expect(
      problemsOf(
        'tasks:',
        '  a: { kind: shell, command: "echo {{ map.item }}", env: { I: "{{ map.index }}" } }',
      ),
    ).toEqual([
      "3 tasks.a.command [a]: {{ map.item }}: task 'a' has no map, so map names nothing",
      "3 tasks.a.env.I [a]: {{ map.index }}: task 'a' has no map, so map names nothing",
    ]);
  });

  it('reports unknown map fields, a bare map and fields of map.index', () => {
    expect(
      problemsOf(
        'tasks:',
        LIST,
        '  a:',
        '    kind: shell',
        '    needs: [list]',
        '    map: { over: inputs.list }',
        '    command: echo {{ map.indx }} {{ map }} {{ map.index.x }} {{ map[0] }}',
      ),
    ).toEqual([
      "8 tasks.a.command [a]: unknown name 'map.indx' in {{ map.indx }} (did you mean 'index'?) (use map.index or map.item)",
      '8 tasks.a.command [a]: {{ map }}: use map.index or map.item',
      '8 tasks.a.command [a]: {{ map.index.x }}: map.index is a number and has no fields',
      '8 tasks.a.command [a]: {{ map[0] }}: use map.index or map.item',
    ]);
  });

  it('checks map names in defaults.env against every task that inherits them', () => {
    const lines = [
      'defaults:',
      '  env: { ITEM: "{{ map.item }}" }',
      'tasks:',
      LIST,
      '  p: { kind: shell, command: "true", needs: [list], map: { over: inputs.list } }',
    ];
    expect(problemsOf(...lines)).toEqual([
      "3 defaults.env.ITEM [undefined]: {{ map.item }} reads the task's map, which 'list' (inheriting defaults.env.ITEM) do not have: give them a map, or set env.ITEM on them",
    ]);
    const { problems } = parse(
      ...lines.slice(0, 3),
      '  list: { kind: node, module: ./l.ts, env: { ITEM: x } }',
      lines[4] as string,
    );
    expect(problems).toEqual([]);
  });
});
