import { describe, expect, it } from 'vitest';
import { parseDagSpec } from './parse.js';
import { normalizeModulePath } from './semantic-checks.js';

const problemsOf = (text: string, files?: ReadonlySet<string>) =>
  parseDagSpec(text, files === undefined ? { file: 'dag.yaml' } : { file: 'dag.yaml', files }).problems;
const at = (line: number, column: number) => ({ file: 'dag.yaml', line, column });

describe('needs checks', () => {
  it('reports a needs entry naming no task at that entry, with a suggestion', () => {
    const text = [
      'name: x',
      'tasks:',
      '  extract: { kind: shell, command: ls }',
      '  load: { kind: shell, command: ls, needs: [extract, extrakt] }',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      {
        message: "needs 'extrakt', which is not a task in this DAG (did you mean 'extract'?)",
        position: at(4, 54),
        taskId: 'load',
        field: 'tasks.load.needs',
      },
    ]);
  });

  it('reports a single-string needs naming no task', () => {
    const text = 'name: x\ntasks:\n  a: { kind: shell, command: ls, needs: zzz }\n';
    expect(problemsOf(text)[0]?.message).toBe("needs 'zzz', which is not a task in this DAG");
  });

  it('reports a cycle once, printing its path, at the entry that closes it', () => {
    const text = [
      'name: x',
      'tasks:',
      '  a: { kind: shell, command: ls, needs: [c] }',
      '  b: { kind: shell, command: ls, needs: [a] }',
      '  c: { kind: shell, command: ls, needs: [b] }',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      { message: 'cycle: a -> b -> c -> a', position: at(3, 42), taskId: 'a', field: 'tasks.a.needs' },
    ]);
  });

  it('reports a task that needs itself as a cycle', () => {
    const text = 'name: x\ntasks:\n  a: { kind: shell, command: ls, needs: a }\n';
    expect(problemsOf(text)).toEqual([
      { message: 'cycle: a -> a', position: at(3, 41), taskId: 'a', field: 'tasks.a.needs' },
    ]);
  });
});

describe('module checks', () => {
  const spec = (module: string) => `name: x\ntasks:\n  t: { kind: node, module: ${module} }\n`;

  it('reports a module outside the DAG folder at its value', () => {
    for (const module of ['../x.ts', '/abs/x.ts', 'lib/../../x.ts']) {
      expect(problemsOf(spec(module))).toEqual([
        {
          message: `module '${module}' is outside the DAG folder (use a path relative to the folder, e.g. ./task.ts)`,
          position: at(3, 28),
          taskId: 't',
          field: 'tasks.t.module',
        },
      ]);
    }
  });

  it('reports a module missing from the folder when its files are known, with a suggestion', () => {
    const files = new Set(['transform.ts', 'lib/util.ts']);
    expect(problemsOf(spec('./transfrom.ts'), files)).toEqual([
      {
        message: "module './transfrom.ts' is not a file in the DAG folder (did you mean 'transform.ts'?)",
        position: at(3, 28),
        taskId: 't',
        field: 'tasks.t.module',
      },
    ]);
    expect(problemsOf(spec('./lib/util.ts'), files)).toEqual([]);
    expect(problemsOf(spec('./transfrom.ts'))).toEqual([]);
  });

  it('normalizes module paths the way the files list is written', () => {
    expect(normalizeModulePath('./transform.ts')).toBe('transform.ts');
    expect(normalizeModulePath('lib/./x/../y.ts')).toBe('lib/y.ts');
    expect(normalizeModulePath('C:\\x.ts')).toBeUndefined();
  });
});
