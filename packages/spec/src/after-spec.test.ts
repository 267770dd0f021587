import { describe, expect, it } from 'vitest';
import { parseDagSpec } from './parse.js';

const parse = (text: string) => parseDagSpec(text, { file: 'dag.yaml' });
const problemsOf = (text: string) =>
  parse(text).problems.map(
    (problem) => `${problem.position?.line}:${problem.position?.column} ${problem.field}: ${problem.message}`,
  );
const TASKS = 'tasks: { a: { kind: shell, command: x } }\n';
const LIST_HINT = 'must be a non-empty list of { dag, task }, e.g. [{ dag: load_orders, task: publish }]';

describe('after (data-aware triggers) in the spec', () => {
  it('compiles the entries in order, with params that all have defaults', () => {
    const { model, problems } = parse(`name: report
params: { day: { type: string, default: today } }
after:
  - { dag: load-orders, task: publish }
  - { dag: load-orders, task: audit }
  - { dag: billing, task: publish }
${TASKS}`);
    expect(problems).toEqual([]);
    expect(model?.after).toEqual([
      { dag: 'load-orders', task: 'publish' },
      { dag: 'load-orders', task: 'audit' },
      { dag: 'billing', task: 'publish' },
    ]);
  });

  it('reports an after that is not a non-empty list', () => {
    expect(problemsOf(`name: x\nafter: []\n${TASKS}`)).toEqual([
      `2:8 after: ${LIST_HINT} (got an empty list)`,
    ]);
    expect(problemsOf(`name: x\nafter: other\n${TASKS}`)).toEqual([`2:8 after: ${LIST_HINT} (got 'other')`]);
    expect(problemsOf(`name: x\nafter:\n${TASKS}`)).toEqual([`2:7 after: ${LIST_HINT} (got nothing)`]);
  });

  it('reports every bad entry at once: shape, names, missing and unknown fields, itself, duplicates', () => {
    expect(
      problemsOf(`name: x
after:
  - other
  - { dag: Bad_Name }
  - { dag: ok, task: 1st }
  - { dag: ok, tsk: y }
  - { dag: a, task: b }
  - { dag: x, task: load }
  - dag: a
    task: b
${TASKS}`),
    ).toEqual([
      "3:5 after[0]: must be a mapping { dag, task }, e.g. { dag: load_orders, task: publish } (got 'other')",
      "4:5 after[1].task: missing required field 'task'",
      "4:12 after[1].dag: invalid DAG name 'Bad_Name' (use lower-case letters, digits, _ and -, starting with a letter)",
      "5:22 after[2].task: invalid task id '1st' (use letters, digits, _ and -, starting with a letter)",
      "6:5 after[3].task: missing required field 'task'",
      "6:16 after[3].tsk: unknown field 'tsk' (did you mean 'task'?)",
      "8:12 after[5].dag: a DAG cannot wait for itself: 'x' is this DAG (order its own tasks with needs)",
      '9:5 after[6]: duplicate entry { dag: a, task: b } (first at line 7)',
    ]);
  });

  it('requires a default for every param, naming both triggers when there is also a schedule', () => {
    expect(
      problemsOf(`name: x
params:
  day: { type: string }
after: [{ dag: a, task: b }]
${TASKS}`),
    ).toEqual([
      "3:3 params.day: param 'day' has no default, but runs started by after have no one to give it a value: give it a default",
    ]);
    expect(
      problemsOf(`name: x
params:
  day: { type: string }
schedule: "@daily"
after: [{ dag: a, task: b }]
${TASKS}`),
    ).toEqual([
      "3:3 params.day: param 'day' has no default, but scheduled runs and runs started by after have no one to give it a value: give it a default",
    ]);
  });
});
