import type { JsonObject } from '@tributary/core';
import { type DagModel, parseDagSpec, validateParams } from '@tributary/spec';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { renderParamsForm } from './params-form.js';

function model(params: string): DagModel {
  const spec = `name: report\nparams:\n${params}\ntasks:\n  a: { kind: shell, command: echo }\n`;
  const result = parseDagSpec(spec, { file: 'dag.yaml' });
  if (result.model === undefined) throw new Error(JSON.stringify(result.problems));
  return result.model;
}

const REPORT = model(`
  region:
    type: string
    description: Where the data lives.
    enum: [eu, us]
  day: { type: string, format: date, description: "The day to report on.\\nAn ISO date." }
  limit: { type: integer, minimum: 1, maximum: 100, default: 10, description: Rows at most }
  tags: { type: array, items: { type: string }, default: ["on", "12:30"] }
  storage:
    type: object
    description: Where to write the report.
    required: [bucket]
    properties:
      bucket: { type: string, description: The bucket name }
      prefix: { type: string, description: A key prefix }
      retries: { type: integer, minimum: 0, default: 2 }
`);

const form = renderParamsForm(REPORT.paramsSchema, { dag: 'report', path: 'dags/report' });

/** The comment lines right above the line that starts with `key` (after indentation). */
function commentsAbove(text: string, key: string): string[] {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => line.trimStart().startsWith(`${key}:`));
  const comments: string[] = [];
  for (let index = at - 1; index >= 0 && lines[index]?.trimStart().startsWith('#'); index--) {
    comments.unshift(lines[index]?.trim() ?? '');
  }
  return comments;
}

describe('renderParamsForm', () => {
  it('writes one key per param in declaration order, set to its default or null when required', () => {
    const doc = parseDocument(form);
    expect(doc.errors).toEqual([]);
    const value = doc.toJS() as JsonObject;
    expect(Object.keys(value)).toEqual(['region', 'day', 'limit', 'tags', 'storage']);
    expect(value).toEqual({
      region: null,
      day: null,
      limit: 10,
      tags: ['on', '12:30'],
      storage: { bucket: null, retries: 2 },
    });
    // The same under YAML 1.1, where unquoted `on` and `12:30` would be a boolean and a number.
    expect(parse(form, { version: '1.1' })).toEqual(value);
  });

  it("puts each param's description, type, choices, limits and whether it is required above it", () => {
    expect(commentsAbove(form, 'region')).toEqual([
      '# Where the data lives.',
      '# type: string; one of: eu, us; required',
    ]);
    expect(commentsAbove(form, 'day')).toEqual([
      '# The day to report on.',
      '# An ISO date.',
      '# type: string; format: date; required',
    ]);
    expect(commentsAbove(form, 'limit')).toEqual([
      '# Rows at most',
      '# type: integer; minimum: 1; maximum: 100; optional, default: 10',
    ]);
    expect(form).toContain('region: null  # required\n');
  });

  it('renders an object param as a nested mapping with the same comments, optional keys commented out', () => {
    expect(form).toContain(
      [
        '# Where to write the report.',
        '# type: object; required',
        'storage:',
        '  # The bucket name',
        '  # type: string; required',
        '  bucket: null  # required',
        '  # A key prefix',
        '  # type: string; optional',
        '  # prefix:',
        '  # type: integer; minimum: 0; optional, default: 2',
        '  retries: 2',
      ].join('\n'),
    );
  });

  it('is rejected untouched, naming each required param, and accepted once they are filled', () => {
    const untouched = validateParams(REPORT, parse(form) as JsonObject);
    // null fails both `type` and `enum` of region: one problem each, so compare the fields named.
    expect([...new Set(untouched.problems.map((problem) => problem.field))]).toEqual([
      'params.day',
      'params.region',
      'params.storage.bucket',
    ]);
    const filled = form
      .replace('region: null', 'region: eu')
      .replace('day: null', 'day: 2024-01-31')
      .replace('bucket: null', 'bucket: reports');
    const checked = validateParams(REPORT, parse(filled) as JsonObject);
    expect(checked.problems).toEqual([]);
    expect(checked.params).toMatchObject({ day: '2024-01-31', storage: { bucket: 'reports', retries: 2 } });
  });

  it('fills an object param from its default and starts an all-optional one as an empty map', () => {
    const options = model(`
  opts:
    type: object
    default: { verbose: true }
    properties:
      verbose: { type: boolean }
      level: { type: string }
  extra:
    type: object
    properties:
      note: { type: string, description: Anything }
`);
    const text = renderParamsForm(options.paramsSchema, { dag: 'report', path: '.' });
    expect(parse(text)).toEqual({ opts: { verbose: true }, extra: {} });
    expect(text).toContain('extra: {}  # to set a key below, uncomment it and remove the {}\n  # Anything\n');
    expect(validateParams(options, parse(text) as JsonObject).problems).toEqual([]);
  });

  it('says so when the DAG takes no params, and still reads as an empty mapping', () => {
    const none = model('  {}');
    const text = renderParamsForm(none.paramsSchema, { dag: 'report', path: 'dags/report' });
    expect(text).toContain('# This DAG takes no params.');
    expect(parse(text)).toEqual({});
  });
});
