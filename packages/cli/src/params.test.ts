import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import {
  collectParams,
  gatherParams,
  parseParamAssignments,
  parseParamsText,
  parseParamValue,
} from './params.js';

describe('parseParamValue', () => {
  it('parses JSON numbers, booleans, null, objects and quoted strings', () => {
    expect(parseParamValue('3')).toBe(3);
    expect(parseParamValue('-1.5')).toBe(-1.5);
    expect(parseParamValue('true')).toBe(true);
    expect(parseParamValue('null')).toBeNull();
    expect(parseParamValue('{"a":1}')).toEqual({ a: 1 });
    expect(parseParamValue('[1,"x"]')).toEqual([1, 'x']);
    expect(parseParamValue('"42"')).toBe('42');
  });

  it('keeps text that is not JSON as a string', () => {
    expect(parseParamValue('Ada')).toBe('Ada');
    expect(parseParamValue('2024-01-31')).toBe('2024-01-31');
    expect(parseParamValue('')).toBe('');
  });
});

describe('parseParamAssignments', () => {
  it('splits at the first equals sign and lets a later key win', () => {
    expect(parseParamAssignments(['a=1', 'q=x=y', 'a=2'])).toEqual({ a: 2, q: 'x=y' });
  });

  it('rejects an assignment without a key, naming it', () => {
    expect(() => parseParamAssignments(['=3'])).toThrow(TributaryError);
    expect(() => parseParamAssignments(['novalue'])).toThrow(/'novalue' must look like key=value/);
  });
});

describe('parseParamsText', () => {
  it('reads a YAML mapping, and JSON as YAML', () => {
    expect(parseParamsText('n: 3\nname: Ada\n', 'p.yaml')).toEqual({ n: 3, name: 'Ada' });
    expect(parseParamsText('{"n": 3}', 'p.json')).toEqual({ n: 3 });
    expect(parseParamsText('', 'empty.yaml')).toEqual({});
  });

  it('rejects a document that is not a mapping, naming the file', () => {
    expect(() => parseParamsText('- 1\n- 2\n', 'list.yaml')).toThrow(/list\.yaml: params must be a mapping/);
    expect(() => parseParamsText('a: [1\n', 'bad.yaml')).toThrow(/bad\.yaml/);
  });
});

describe('collectParams', () => {
  it('applies --param over the params file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-params-'));
    try {
      const file = join(dir, 'params.yaml');
      await writeFile(file, 'n: 3\nname: file\n');
      expect(await collectParams({ file, assignments: ['name=flag'] })).toEqual({ n: 3, name: 'flag' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('locates params set by the file, not those a --param overrides', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-params-'));
    try {
      const file = join(dir, 'params.yaml');
      await writeFile(file, 'n: 3\nname: file\n');
      const { params, locate } = await gatherParams({ file, assignments: ['name=flag'] });
      expect(params).toEqual({ n: 3, name: 'flag' });
      expect(locate('params.n')).toEqual({ file, line: 1, column: 1 });
      expect(locate('params.name')).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a params file that cannot be read', async () => {
    await expect(collectParams({ file: '/nonexistent/params.yaml' })).rejects.toThrow(
      /cannot read params file/,
    );
  });
});
