import { Code, TributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { assertValid } from './assert.js';
import { parseDagSpec } from './parse.js';

describe('assertValid', () => {
  it('returns the model of a valid spec', () => {
    const result = parseDagSpec('name: x\ntasks:\n  a: { kind: shell, command: ls }\n', { file: 'dag.yaml' });
    expect(assertValid(result).name).toBe('x');
  });

  it('throws an invalid-argument error carrying every problem', () => {
    const result = parseDagSpec('name: X\ntasks:\n  a: { kind: shell }\n', { file: 'dags/x/dag.yaml' });
    let thrown: unknown;
    try {
      assertValid(result);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TributaryError);
    const error = thrown as TributaryError;
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).toBe('2 problems in dags/x/dag.yaml');
    expect(error.problems).toBe(result.problems);
    expect(error.toString()).toContain(
      "dags/x/dag.yaml:3:3: task 'a', field 'tasks.a.command': missing required field",
    );
  });

  it('says "1 problem" for one problem', () => {
    expect(() => assertValid({ problems: [{ message: 'no dag.yaml or dag.yml in /x' }] })).toThrow(
      '1 problem in the DAG spec',
    );
  });
});
