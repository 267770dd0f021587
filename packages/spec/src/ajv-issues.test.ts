import { describe, expect, it } from 'vitest';
import { compileSchema } from './ajv-instance.js';
import { describeAjvErrors, pointerPath } from './ajv-issues.js';

const issuesOf = (schema: Record<string, unknown>, value: unknown) => {
  const validate = compileSchema(schema);
  validate(value);
  return describeAjvErrors(validate.errors).map(({ path, message }) => ({ path, message }));
};

describe('pointerPath', () => {
  it('splits a JSON pointer, unescaping names and reading digits as indexes', () => {
    expect(pointerPath('')).toEqual([]);
    expect(pointerPath('/a/0/b~1c~0d')).toEqual(['a', 0, 'b/c~d']);
  });
});

describe('describeAjvErrors', () => {
  it('names missing and unknown properties in the path', () => {
    const schema = {
      type: 'object',
      properties: { a: { type: 'string' } },
      required: ['a'],
      additionalProperties: false,
    };
    expect(issuesOf(schema, { b: 1 })).toEqual([
      { path: ['a'], message: 'is required' },
      { path: ['b'], message: 'is not a known property' },
    ]);
  });

  it('lists the allowed values of an enum and keeps ajv wording elsewhere', () => {
    const schema = {
      type: 'array',
      items: { type: 'string', enum: ['x', 'y'] },
      maxItems: 1,
    };
    expect(issuesOf(schema, ['z', 1])).toEqual([
      { path: [], message: 'must NOT have more than 1 items' },
      { path: [0], message: 'must be equal to one of the allowed values: "x", "y"' },
      { path: [1], message: 'must be string' },
      { path: [1], message: 'must be equal to one of the allowed values: "x", "y"' },
    ]);
  });

  it('keeps the oneOf summary when the value matches more than one branch', () => {
    expect(issuesOf({ oneOf: [{ type: 'number' }, { type: 'integer' }] }, 1)).toEqual([
      { path: [], message: 'must match exactly one schema in oneOf' },
    ]);
  });

  it('returns nothing when there are no errors', () => {
    expect(describeAjvErrors(null)).toEqual([]);
  });
});
