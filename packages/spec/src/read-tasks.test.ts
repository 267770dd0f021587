import { describe, expect, it } from 'vitest';
import { parseDagSpec } from './parse.js';

/** A spec whose task `a` (line 3) is `task`, so that columns count from a known indent. */
const withTask = (task: string, extra = '') => `name: x\ntasks:\n  a: ${task}\n${extra}`;

const problemsOf = (text: string) => parseDagSpec(text, { file: 'dag.yaml' }).problems;
const at = (line: number, column: number) => ({ file: 'dag.yaml', line, column });

describe('task structure checks', () => {
  it('reports an unknown task kind at its value, naming the kinds there are', () => {
    expect(problemsOf(withTask('{ kind: sparkk }'))).toEqual([
      {
        message: "unknown task kind 'sparkk' (expected one of: node, shell, sql, dag, container)",
        position: at(3, 14),
        taskId: 'a',
        field: 'tasks.a.kind',
      },
    ]);
  });

  it('reports a misspelt task field at its key with a suggestion', () => {
    expect(problemsOf(withTask('{ kind: shell, command: ls, neeeds: [] }'))).toEqual([
      {
        message: "unknown field 'neeeds' (did you mean 'needs'?)",
        position: at(3, 34),
        taskId: 'a',
        field: 'tasks.a.neeeds',
      },
    ]);
  });

  it('reports a field of another kind as unknown for this kind', () => {
    expect(problemsOf(withTask('{ kind: node, module: ./a.ts, command: ls }'))).toEqual([
      {
        message: "unknown field 'command' for a node task (only shell and container tasks have it)",
        position: at(3, 36),
        taskId: 'a',
        field: 'tasks.a.command',
      },
    ]);
  });

  it('reports a missing required field at the task id', () => {
    expect(problemsOf(withTask('{ kind: node }'))).toEqual([
      {
        message: "missing required field 'module'",
        position: at(3, 3),
        taskId: 'a',
        field: 'tasks.a.module',
      },
    ]);
    expect(problemsOf(withTask('{ command: ls }'))).toEqual([
      { message: "missing required field 'kind'", position: at(3, 3), taskId: 'a', field: 'tasks.a.kind' },
    ]);
  });

  it('reports a value of the wrong type at the value', () => {
    expect(problemsOf(withTask('{ kind: shell, command: ls, retries: two }'))).toEqual([
      {
        message: "must be a non-negative integer (got 'two')",
        position: at(3, 43),
        taskId: 'a',
        field: 'tasks.a.retries',
      },
    ]);
    expect(problemsOf(withTask('{ kind: shell, command: ls, env: { PORT: 8080 } }'))[0]).toEqual({
      message: "must be a string (got 8080) (quote it: '8080')",
      position: at(3, 47),
      taskId: 'a',
      field: 'tasks.a.env.PORT',
    });
  });

  it('reports a bad duration with examples of good ones', () => {
    expect(problemsOf(withTask('{ kind: shell, command: ls, timeout: 30x }'))).toEqual([
      {
        message: "invalid duration '30x' (use e.g. 30s, 10m, 1h)",
        position: at(3, 43),
        taskId: 'a',
        field: 'tasks.a.timeout',
      },
    ]);
  });

  it('reports a task that is not a mapping, and a badly formed task id', () => {
    expect(problemsOf(withTask('./run.sh'))).toEqual([
      {
        message: "a task must be a mapping with at least 'kind' (got './run.sh')",
        position: at(3, 6),
        taskId: 'a',
        field: 'tasks.a',
      },
    ]);
    expect(problemsOf('name: x\ntasks:\n  1st: { kind: shell, command: ls }\n')[0]?.message).toBe(
      "invalid task id '1st' (use letters, digits, _ and -, starting with a letter)",
    );
  });

  it('reports a DAG without tasks at the tasks key', () => {
    expect(problemsOf('name: x\ntasks: {}\n')).toEqual([
      { message: 'a DAG needs at least one task', position: at(2, 1), field: 'tasks' },
    ]);
  });
});

describe('top-level and defaults checks', () => {
  it('reports an unknown top-level field and a missing name', () => {
    expect(problemsOf('tasks:\n  a: { kind: shell, command: ls }\ndescripton: hi\n')).toEqual([
      { message: "missing required field 'name'", position: at(1, 1), field: 'name' },
      {
        message: "unknown field 'descripton' (did you mean 'description'?)",
        position: at(3, 1),
        field: 'descripton',
      },
    ]);
  });

  it('reports a bad DAG name at its value', () => {
    expect(problemsOf('name: Daily Sales\ntasks:\n  a: { kind: shell, command: ls }\n')).toEqual([
      {
        message:
          "invalid DAG name 'Daily Sales' (use lower-case letters, digits, _ and -, starting with a letter)",
        position: at(1, 7),
        field: 'name',
      },
    ]);
  });

  it('reports unknown and bad fields in defaults', () => {
    const text = withTask(
      '{ kind: shell, command: ls }',
      'defaults: { retrys: 1, module: x.ts, retry_delay: 3 weeks ago }\n',
    );
    expect(problemsOf(text)).toEqual([
      {
        message: "unknown field 'retrys' (did you mean 'retries'?)",
        position: at(4, 13),
        field: 'defaults.retrys',
      },
      {
        message: "unknown field 'module' (it cannot be a default; set it on each task)",
        position: at(4, 24),
        field: 'defaults.module',
      },
      {
        message: "invalid duration '3 weeks ago' (use e.g. 30s, 10m, 1h)",
        position: at(4, 51),
        field: 'defaults.retry_delay',
      },
    ]);
  });
});
