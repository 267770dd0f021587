import type { Problem } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { parseDagSpec } from './parse.js';

const HEADER = [
  'name: templated',
  'params:',
  '  day: { type: string, default: "2026-01-01" }',
  '  limit: { type: integer, default: 10 }',
  'tasks:',
  '  extract: { kind: shell, command: echo 1 }',
];

/** Parses HEADER plus `lines`, returning the problems (the model must be absent when there are any). */
function problemsOf(...lines: string[]): Problem[] {
  const { problems, model } = parseDagSpec([...HEADER, ...lines].join('\n'), { file: 'dag.yaml' });
  if (problems.length > 0) expect(model).toBeUndefined();
  return problems;
}

const messages = (problems: Problem[]) => problems.map((problem) => problem.message);

describe('template checks in parseDagSpec', () => {
  it('accepts every kind of name and keeps the templates verbatim in the model', () => {
    const { problems, model } = parseDagSpec(
      [
        ...HEADER,
        '  load:',
        '    kind: shell',
        '    needs: [extract]',
        '    command: load --day={{ params.day }} {{inputs.extract.files[0].path}} {{ run.id }} {{ run.logical_date }} {{ task.id }} {{ attempt }} \\{{ literal }}',
        '    env: { LIMIT: "{{ params.limit }}", FROM: "{{ inputs.extract }}" }',
      ].join('\n'),
      { file: 'dag.yaml' },
    );
    expect(problems).toEqual([]);
    const load = model?.tasks[1];
    expect(load).toMatchObject({
      command:
        'load --day={{ params.day }} {{inputs.extract.files[0].path}} {{ run.id }} {{ run.logical_date }} {{ task.id }} {{ attempt }} \\{{ literal }}',
      env: { LIMIT: '{{ params.limit }}', FROM: '{{ inputs.extract }}' },
    });
  });

  it('reports an unclosed template at the command value, with task and field', () => {
    expect(problemsOf('  load:', '    kind: shell', '    command: echo {{ params.day')).toEqual([
      {
        message: "unclosed '{{' (close it with '}}', or write '\\{{' for a literal '{{')",
        position: { file: 'dag.yaml', line: 9, column: 14 },
        taskId: 'load',
        field: 'tasks.load.command',
      },
    ]);
  });

  it('reports an unknown root with a suggestion', () => {
    expect(messages(problemsOf('  load: { kind: shell, command: "echo {{ parms.day }}" }'))).toEqual([
      "unknown name 'parms' in {{ parms.day }} (did you mean 'params'?) (a template holds one name: params.<name>, inputs.<task>[.<field>...] (with [0]-style indexes), run.id, run.logical_date, run.data_interval_start, run.data_interval_end, task.id, attempt, matrix.<key> in a matrix task, or map.index and map.item[.<field>...] in a mapped task)",
    ]);
  });

  it('reports an undeclared param with a suggestion, and a bare params', () => {
    expect(
      messages(problemsOf('  load: { kind: shell, command: "echo {{ params.dau }} {{ params }}" }')),
    ).toEqual([
      "{{ params.dau }}: 'dau' is not a param of this DAG (did you mean 'day'?)",
      '{{ params }}: name what to read, as params.<name>',
    ]);
  });

  it('says when the DAG declares no params at all', () => {
    const { problems } = parseDagSpec(
      ['name: bare', 'tasks:', '  a: { kind: shell, command: "echo {{ params.day }}" }'].join('\n'),
      { file: 'dag.yaml' },
    );
    expect(messages(problems)).toEqual([
      "{{ params.day }}: 'day' is not a param of this DAG (it declares no params)",
    ]);
  });

  it('still knows a param whose schema has a problem, so that only the schema is reported', () => {
    const { problems } = parseDagSpec(
      [
        'name: broken',
        'params:',
        '  day: { type: strin }',
        'tasks:',
        '  a: { kind: shell, command: "echo {{ params.day }}" }',
      ].join('\n'),
      { file: 'dag.yaml' },
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe('params.day');
  });

  it('asks to add a task to needs before reading its output, and suggests a close need for a typo', () => {
    const problems = problemsOf(
      '  other: { kind: shell, command: echo 2 }',
      '  load: { kind: shell, needs: [other], command: "echo {{ inputs.extract.x }} {{ inputs.othr }}" }',
    );
    expect(messages(problems)).toEqual([
      "{{ inputs.extract.x }} reads the output of 'extract', which task 'load' does not need: add 'extract' to its needs",
      "{{ inputs.othr }}: 'othr' is not a task in this DAG (did you mean 'other'?)",
    ]);
    expect(problems[0]).toMatchObject({ taskId: 'load', field: 'tasks.load.command' });
  });

  it('reports unknown run and task names, and fields of values that have none', () => {
    const command =
      'echo {{ run.logical_dat }} {{ run.dag }} {{ task.name }} {{ run.id.x }} {{ attempt.n }} {{ run[0] }}';
    expect(messages(problemsOf(`  load: { kind: shell, command: "${command}" }`))).toEqual([
      "unknown name 'run.logical_dat' in {{ run.logical_dat }} (did you mean 'logical_date'?) (use run.id, run.logical_date, run.data_interval_start or run.data_interval_end)",
      "unknown name 'run.dag' in {{ run.dag }} (use run.id, run.logical_date, run.data_interval_start or run.data_interval_end)",
      "unknown name 'task.name' in {{ task.name }} (use task.id)",
      '{{ run.id.x }}: run.id is a string and has no fields',
      '{{ attempt.n }}: attempt is a number and has no fields',
      '{{ run[0] }}: use run.id, run.logical_date, run.data_interval_start or run.data_interval_end',
    ]);
  });

  it('checks env values of node tasks at each value, naming the variable', () => {
    const problems = problemsOf(
      '  load:',
      '    kind: node',
      '    module: ./load.ts',
      '    env:',
      '      OK: plain',
      '      DAY: "{{ params.day | upper }}"',
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      message: expect.stringContaining("unsupported template '{{ params.day | upper }}'"),
      position: { file: 'dag.yaml', line: 12, column: 12 },
      taskId: 'load',
      field: 'tasks.load.env.DAY',
    });
  });

  it('refuses a template inside quotes in a command, but not in an env value', () => {
    const problems = problemsOf(
      `  load: { kind: shell, command: "echo '{{ params.day }}'", env: { A: "'{{ params.day }}'" } }`,
    );
    expect(messages(problems)).toEqual([
      expect.stringContaining('template {{ params.day }} is inside single quotes'),
    ]);
  });

  it('checks inputs in defaults.env against every task that inherits the variable', () => {
    const problems = problemsOf(
      '  a: { kind: shell, needs: [extract], command: echo a }',
      '  b: { kind: shell, command: echo b }',
      '  c: { kind: shell, command: echo c, env: { FROM: own } }',
      '  d: { kind: shell, command: echo d }',
      'defaults:',
      '  env: { FROM: "{{ inputs.extract.n }}", DAY: "{{ params.nope }}" }',
    );
    expect(problems).toEqual([
      {
        message:
          "{{ inputs.extract.n }} reads the output of 'extract', which 'extract', 'b', 'd' (inheriting defaults.env.FROM) do not need: add 'extract' to their needs, or set env.FROM on them",
        position: { file: 'dag.yaml', line: 12, column: 16 },
        field: 'defaults.env.FROM',
      },
      {
        message: "{{ params.nope }}: 'nope' is not a param of this DAG",
        position: { file: 'dag.yaml', line: 12, column: 47 },
        field: 'defaults.env.DAY',
      },
    ]);
  });
});
