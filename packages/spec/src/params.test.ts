import { Code, TributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import type { DagModel } from './model.js';
import { validateParams } from './params.js';
import { parseDagSpec } from './parse.js';

const SPEC = [
  'name: x',
  'params:',
  '  date: { type: string, format: date }',
  '  limit: { type: integer, minimum: 1, default: 100 }',
  '  options:',
  '    type: object',
  '    default: {}',
  '    properties: { mode: { type: string, enum: [fast, slow], default: fast } }',
  '    additionalProperties: false',
  'tasks:',
  '  a: { kind: shell, command: ls }',
].join('\n');

const model = parseDagSpec(SPEC, { file: 'dag.yaml' }).model as DagModel;

describe('validateParams', () => {
  it('accepts valid params and applies defaults, nested ones too', () => {
    expect(validateParams(model, { date: '2024-02-29' })).toEqual({
      params: { date: '2024-02-29', limit: 100, options: { mode: 'fast' } },
      problems: [],
    });
  });

  it('keeps given values over defaults and does not change its input', () => {
    const params = { date: '2024-01-01', limit: 5 };
    expect(validateParams(model, params).params).toEqual({
      date: '2024-01-01',
      limit: 5,
      options: { mode: 'fast' },
    });
    expect(params).toEqual({ date: '2024-01-01', limit: 5 });
  });

  it('reports a missing required param', () => {
    expect(validateParams(model, {}).problems).toEqual([{ field: 'params.date', message: 'is required' }]);
  });

  it('reports values of the wrong type or out of range, naming the param', () => {
    expect(validateParams(model, { date: 20240101, limit: 0 }).problems).toEqual([
      { field: 'params.date', message: 'must be string' },
      { field: 'params.limit', message: 'must be >= 1' },
    ]);
    expect(validateParams(model, { date: '2023-02-29' }).problems).toEqual([
      { field: 'params.date', message: 'must match format "date"' },
    ]);
  });

  it('reports unknown params and nested problems with dotted fields', () => {
    expect(
      validateParams(model, { date: '2024-01-01', dat: 'x', options: { mode: 'quick', x: 1 } }).problems,
    ).toEqual([
      { field: 'params.dat', message: 'is not a known param' },
      { field: 'params.options.mode', message: 'must be equal to one of the allowed values: "fast", "slow"' },
      { field: 'params.options.x', message: 'is not a known property' },
    ]);
  });

  it('gives each call its own copy of an object default', () => {
    const first = validateParams(model, { date: '2024-01-01' }).params as { options: { mode: string } };
    first.options.mode = 'changed';
    expect(validateParams(model, { date: '2024-01-01' }).params.options).toEqual({ mode: 'fast' });
  });

  it('reports a value matching no branch of anyOf once, not once per branch', () => {
    const spec = SPEC.replace(
      '  date: { type: string, format: date }',
      '  date: { anyOf: [{ type: string, format: date }, { type: integer, minimum: 0 }] }',
    );
    const anyOfModel = parseDagSpec(spec, { file: 'dag.yaml' }).model as DagModel;
    expect(validateParams(anyOfModel, { date: true }).problems).toEqual([
      { field: 'params.date', message: 'must match a schema in anyOf' },
    ]);
    expect(validateParams(anyOfModel, { date: -1 }).problems).toEqual([
      { field: 'params.date', message: 'must be >= 0' },
    ]);
  });

  it('throws InvalidArgument for a model whose params schema does not compile', () => {
    const broken: DagModel = { ...model, paramsSchema: { type: 'object', properties: { a: { typo: 1 } } } };
    expect(() => validateParams(broken, {})).toThrowError(TributaryError);
    try {
      validateParams(broken, {});
    } catch (error) {
      expect((error as TributaryError).code).toBe(Code.InvalidArgument);
      expect((error as TributaryError).message).toContain('unknown keyword: "typo"');
    }
  });
});
