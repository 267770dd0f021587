import { describe, expect, it } from 'vitest';
import { compileSchema, knownFormats, knownKeywords } from './ajv-instance.js';

describe('compileSchema', () => {
  it('checks formats and fills defaults without sharing them between calls', () => {
    const validate = compileSchema({
      type: 'object',
      properties: { day: { type: 'string', format: 'date' }, tags: { type: 'array', default: [] } },
    });
    const first: Record<string, unknown> = { day: '2024-02-29' };
    expect(validate(first)).toBe(true);
    (first.tags as string[]).push('x');
    const second: Record<string, unknown> = { day: '2023-02-29' };
    expect(validate(second)).toBe(false);
    expect(second.tags).toEqual([]);
  });

  it('lets two schemas use the same $id with different content', () => {
    for (const value of [1, 2]) {
      const validate = compileSchema({ $id: 'https://example.com/param', const: value });
      expect(validate(value)).toBe(true);
    }
  });

  it('throws in strict mode for unknown keywords', () => {
    expect(() => compileSchema({ type: 'string', minimun: 1 })).toThrowError(/unknown keyword: "minimun"/);
  });

  it('knows the keywords and formats it checks', () => {
    expect(knownKeywords()).toEqual(expect.arrayContaining(['type', 'maxLength', 'anyOf']));
    expect(knownFormats()).toEqual(expect.arrayContaining(['date', 'date-time', 'email', 'uuid']));
  });
});
