import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDagSpec } from './parse.js';

const EXAMPLE = [
  '# yaml-language-server: $schema=../../schema/dag.schema.json',
  'name: daily_sales',
  "description: Load and summarize yesterday's sales",
  'params:',
  '  date: { type: string, format: date, description: "Day to load" }',
  '  limit: { type: integer, default: 100 }',
  'defaults: { retries: 2, retry_delay: 30s, timeout: 10m, queue_timeout: 5m, pool: default, env: { MODE: slow, TZ: UTC } }',
  'tasks:',
  '  extract:   { kind: shell, command: "./extract.sh", env: { MODE: fast } }',
  '  transform: { kind: node, module: ./transform.ts, needs: extract }',
  '  report:    { kind: node, module: ./report.ts, export: main, needs: [transform, transform], retries: 0, timeout: 30s, pool: gpu, queue_timeout: null, heartbeat_timeout: 2m }',
  '  cleanup:   { kind: shell, command: rm -rf tmp, needs: [report], timeout: null, retry_delay: 5 }',
].join('\n');

const onlyProblem = (text: string) => {
  const { problems, model } = parseDagSpec(text, { file: 'dags/x/dag.yaml' });
  expect(model).toBeUndefined();
  expect(problems).toHaveLength(1);
  return problems[0];
};

describe('parseDagSpec', () => {
  it('compiles a valid spec with defaults applied, durations in ms and needs as a list', () => {
    const files = new Set(['transform.ts', 'report.ts', 'extract.sh']);
    const { model, problems } = parseDagSpec(EXAMPLE, { file: 'dags/daily_sales/dag.yaml', files });
    expect(problems).toEqual([]);
    const semantics = {
      retryBackoff: 'fixed',
      maxRetryDelayMs: null,
      retryJitter: false,
      triggerRule: 'all_success',
      branch: false,
      sensor: null,
      map: null,
      secrets: [],
    };
    const shared = {
      retries: 2,
      retryDelayMs: 30_000,
      timeoutMs: 600_000,
      queueTimeoutMs: 300_000,
      heartbeatTimeoutMs: null,
      pool: 'default',
      ...semantics,
    };
    expect(model).toEqual({
      name: 'daily_sales',
      description: "Load and summarize yesterday's sales",
      specFile: 'dag.yaml',
      dagrunTimeoutMs: null,
      maxActiveTasks: null,
      maxActiveTasksPerRun: null,
      maxActiveRuns: null,
      schedule: null,
      events: null,
      after: [],
      paramsSchema: {
        type: 'object',
        properties: {
          date: { type: 'string', format: 'date', description: 'Day to load' },
          limit: { type: 'integer', default: 100 },
        },
        required: ['date'],
        additionalProperties: false,
      },
      tasks: [
        {
          id: 'extract',
          kind: 'shell',
          command: './extract.sh',
          skipExitCode: 99,
          needs: [],
          ...shared,
          env: { MODE: 'fast', TZ: 'UTC' },
        },
        {
          id: 'transform',
          kind: 'node',
          module: './transform.ts',
          export: 'run',
          needs: ['extract'],
          ...shared,
          env: { MODE: 'slow', TZ: 'UTC' },
        },
        {
          id: 'report',
          kind: 'node',
          module: './report.ts',
          export: 'main',
          needs: ['transform'],
          ...semantics,
          retries: 0,
          retryDelayMs: 30_000,
          timeoutMs: 30_000,
          queueTimeoutMs: null,
          heartbeatTimeoutMs: 120_000,
          pool: 'gpu',
          env: { MODE: 'slow', TZ: 'UTC' },
        },
        {
          id: 'cleanup',
          kind: 'shell',
          command: 'rm -rf tmp',
          skipExitCode: 99,
          needs: ['report'],
          ...shared,
          retryDelayMs: 5_000,
          timeoutMs: null,
          env: { MODE: 'slow', TZ: 'UTC' },
        },
      ],
    });
  });

  it('fills built-in defaults when the spec has no defaults section', () => {
    const { model } = parseDagSpec('name: one\ntasks:\n  a: { kind: shell, command: date }\n', {
      file: 'dag.yml',
    });
    expect(model?.tasks[0]).toEqual({
      id: 'a',
      kind: 'shell',
      command: 'date',
      skipExitCode: 99,
      needs: [],
      retries: 0,
      retryDelayMs: 0,
      retryBackoff: 'fixed',
      maxRetryDelayMs: null,
      retryJitter: false,
      triggerRule: 'all_success',
      branch: false,
      sensor: null,
      timeoutMs: null,
      queueTimeoutMs: null,
      heartbeatTimeoutMs: null,
      pool: 'default',
      env: {},
      secrets: [],
      map: null,
    });
    expect(model?.paramsSchema).toEqual({
      type: 'object',
      properties: {},
      required: [],
      additionalProperties: false,
    });
    expect(model?.specFile).toBe('dag.yml');
  });

  it('reports a YAML syntax error at the position the parser gives', () => {
    const problem = onlyProblem('name: x\ntasks: [a,\n');
    expect(problem?.message).toMatch(/^YAML syntax error: /);
    expect(problem?.position).toEqual({ file: 'dags/x/dag.yaml', line: 3, column: 1 });
  });

  it('reports a second YAML document as one problem', () => {
    expect(onlyProblem('name: x\n---\nname: y\n')?.message).toBe(
      "a spec holds one YAML document; remove the '---' separator",
    );
  });

  it('reports a duplicate task id at the second definition, naming the line of the first', () => {
    const text = 'name: x\ntasks:\n  a: { kind: shell, command: date }\n  a: { kind: shell, command: ls }\n';
    expect(onlyProblem(text)).toEqual({
      message: "duplicate task id 'a' (first defined at line 3)",
      position: { file: 'dags/x/dag.yaml', line: 4, column: 3 },
      taskId: 'a',
      field: 'tasks.a',
    });
  });

  it('reports duplicate keys elsewhere, inside tasks and at the top level', () => {
    const text = 'name: x\ntasks:\n  a: { kind: shell, command: date, retries: 1, retries: 2 }\nname: y\n';
    const { problems } = parseDagSpec(text, { file: 'dag.yaml' });
    expect(problems).toEqual([
      {
        message: "duplicate key 'retries' (first defined at line 3)",
        position: { file: 'dag.yaml', line: 3, column: 48 },
        taskId: 'a',
        field: 'tasks.a.retries',
      },
      {
        message: "duplicate key 'name' (first defined at line 1)",
        position: { file: 'dag.yaml', line: 4, column: 1 },
        field: 'name',
      },
    ]);
  });

  it('reports a spec that is not a mapping', () => {
    expect(onlyProblem('- a\n- b\n')).toEqual({
      message: "a DAG spec must be a mapping with at least 'name' and 'tasks' (got a list)",
      position: { file: 'dags/x/dag.yaml', line: 1, column: 1 },
    });
    expect(onlyProblem('')?.message).toContain('(got nothing)');
  });

  it('reports every problem in one pass, in source order', () => {
    const text = [
      'name: Daily',
      'tasks:',
      '  a: { kind: sparkk }',
      '  b: { kind: shell, command: ls, needs: [zz], retries: two }',
    ].join('\n');
    const { problems } = parseDagSpec(text, { file: 'dag.yaml' });
    expect(problems.map((problem) => [problem.field, problem.position?.line])).toEqual([
      ['name', 1],
      ['tasks.a.kind', 3],
      ['tasks.b.needs', 4],
      ['tasks.b.retries', 4],
    ]);
  });

  it('reads values behind YAML anchors and aliases', () => {
    const text =
      'name: x\ndefaults: { env: &env { A: b } }\ntasks:\n  a: { kind: shell, command: ls, env: *env }\n';
    expect(parseDagSpec(text, { file: 'dag.yaml' }).model?.tasks[0]?.env).toEqual({ A: 'b' });
  });

  it('never throws, whatever the text', () => {
    const pieces = fc.constantFrom(
      'name: x\n',
      'tasks:\n',
      '  a: ',
      '{ kind: shell, command: ls',
      ', needs: [a',
      ']',
      '}',
      '&x ',
      '*x',
      ': ',
      '- ',
      '\n',
      '"',
      'params:\n  p: ',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string()), { maxLength: 20 }), (parts) => {
        const result = parseDagSpec(parts.join(''), { file: 'dag.yaml' });
        expect(result.model !== undefined || result.problems.length > 0).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('reports, rather than throws on, aliases that expand too far', () => {
    const bomb = ['name: x', 'params:', '  p:', '    a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]'];
    for (const level of ['b', 'c', 'd', 'e']) {
      const previous = String.fromCharCode(level.charCodeAt(0) - 1);
      bomb.push(`    ${level}: &${level} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    bomb.push('tasks:', '  t: { kind: shell, command: ls }');
    const { problems } = parseDagSpec(bomb.join('\n'), { file: 'dag.yaml' });
    expect(problems[0]?.message).toMatch(/^cannot read the schema of param 'p'/);
  });
});
