import { Code, TributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { parseParamsFile, placeParamProblems } from './params-file.js';

function thrown(run: () => unknown): TributaryError {
  try {
    run();
  } catch (error) {
    if (error instanceof TributaryError) return error;
    throw error;
  }
  throw new Error('expected a TributaryError');
}

const FORM = 'n: 3\nstorage:\n  bucket: reports\n  tags: [a, b]\n"dotted.key": 1\n';

describe('parseParamsFile', () => {
  it('reports every syntax error at file:line:col', () => {
    const error = thrown(() => parseParamsFile('a: 1\na: 2\nb: [1\nc: 3\n', 'form.yaml'));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).toBe('form.yaml is not valid YAML (2 problems)');
    expect(error.problems).toEqual([
      { message: 'Map keys must be unique', position: { file: 'form.yaml', line: 2, column: 1 } },
      {
        message: expect.stringContaining('Flow sequence'),
        position: { file: 'form.yaml', line: 4, column: 1 },
      },
    ]);
  });

  it('reads a file of comments only as no params', () => {
    expect(parseParamsFile('# nothing to fill in\n', 'form.yaml').params).toEqual({});
  });

  it('locates the key of a param, of a nested key and of a list item', () => {
    const { params, locate } = parseParamsFile(FORM, 'form.yaml');
    expect(params).toEqual({ n: 3, storage: { bucket: 'reports', tags: ['a', 'b'] }, 'dotted.key': 1 });
    expect(locate('params.n')).toEqual({ file: 'form.yaml', line: 1, column: 1 });
    expect(locate('params.storage.bucket')).toEqual({ file: 'form.yaml', line: 3, column: 3 });
    expect(locate('params.storage.tags.1')).toEqual({ file: 'form.yaml', line: 4, column: 13 });
    expect(locate('params.dotted.key')).toEqual({ file: 'form.yaml', line: 5, column: 1 });
  });

  it('locates a missing key at the nearest enclosing key, and a missing param nowhere', () => {
    const { locate } = parseParamsFile(FORM, 'form.yaml');
    expect(locate('params.storage.region')).toEqual({ file: 'form.yaml', line: 2, column: 1 });
    expect(locate('params.day')).toBeUndefined();
    expect(locate('tasks.a')).toBeUndefined();
  });
});

describe('placeParamProblems', () => {
  it('adds positions to param problems that have none and leaves the rest alone', () => {
    const { locate } = parseParamsFile(FORM, 'form.yaml');
    const spec = { message: 'bad', field: 'params.n', position: { file: 'dag.yaml', line: 9, column: 3 } };
    const error = new TributaryError(Code.InvalidArgument, 'invalid params', {
      problems: [
        { field: 'params.storage.bucket', message: 'must be integer' },
        { field: 'params.day', message: 'is required' },
        spec,
      ],
    });
    const placed = placeParamProblems(error, locate) as TributaryError;
    expect(placed.message).toBe('invalid params');
    expect(placed.code).toBe(Code.InvalidArgument);
    expect(placed.problems).toEqual([
      {
        field: 'params.storage.bucket',
        message: 'must be integer',
        position: { file: 'form.yaml', line: 3, column: 3 },
      },
      { field: 'params.day', message: 'is required' },
      spec,
    ]);
    const plain = new Error('boom');
    expect(placeParamProblems(plain, locate)).toBe(plain);
  });
});
