import { describe, expect, it } from 'vitest';
import { formatTemplatePath, parseTemplate, parseTemplatePath } from './templates.js';

describe('parseTemplate', () => {
  it('returns text without templates as one text part', () => {
    expect(parseTemplate('echo hello }} {')).toEqual({
      parts: [{ kind: 'text', text: 'echo hello }} {' }],
      errors: [],
    });
  });

  it('splits text and names, with or without spaces inside the braces', () => {
    const { parts, errors } = parseTemplate('a {{params.x}} b {{   run.id\t}}');
    expect(errors).toEqual([]);
    expect(parts).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'name', path: ['params', 'x'], source: '{{params.x}}', offset: 2 },
      { kind: 'text', text: ' b ' },
      { kind: 'name', path: ['run', 'id'], source: '{{   run.id\t}}', offset: 17 },
    ]);
  });

  it('keeps adjacent templates apart with no text between them', () => {
    const { parts } = parseTemplate('{{ attempt }}{{ task.id }}');
    expect(parts).toEqual([
      { kind: 'name', path: ['attempt'], source: '{{ attempt }}', offset: 0 },
      { kind: 'name', path: ['task', 'id'], source: '{{ task.id }}', offset: 13 },
    ]);
  });

  it('reads numeric index segments anywhere after the first name', () => {
    const { parts } = parseTemplate('{{ inputs.extract.files[0].path }}{{ inputs.a[12][3] }}');
    expect(parts.map((part) => (part.kind === 'name' ? part.path : part.text))).toEqual([
      ['inputs', 'extract', 'files', 0, 'path'],
      ['inputs', 'a', 12, 3],
    ]);
  });

  it('accepts task ids with hyphens', () => {
    expect(parseTemplate('{{ inputs.load-data.rows }}').parts[0]).toMatchObject({
      path: ['inputs', 'load-data', 'rows'],
    });
  });

  it('turns \\{{ into a literal {{ and leaves the rest of that text alone', () => {
    const { parts, errors } = parseTemplate("docker ps --format '\\{{.Names}}' {{ params.x }}");
    expect(errors).toEqual([]);
    expect(parts).toEqual([
      { kind: 'text', text: "docker ps --format '{{.Names}}' " },
      { kind: 'name', path: ['params', 'x'], source: '{{ params.x }}', offset: 33 },
    ]);
  });

  it('reports an unclosed {{ at its offset and keeps the rest as text', () => {
    const { parts, errors } = parseTemplate('echo {{ params.x }} and {{ params.y');
    expect(errors).toEqual([
      { message: "unclosed '{{' (close it with '}}', or write '\\{{' for a literal '{{')", offset: 24 },
    ]);
    expect(parts.at(-1)).toEqual({ kind: 'text', text: ' and {{ params.y' });
  });

  it('reports filters and expressions, naming what a template may hold', () => {
    const { errors } = parseTemplate('{{ params.x | upper }} {{ attempt + 1 }}');
    expect(errors).toHaveLength(2);
    expect(errors[0]?.message).toBe(
      "unsupported template '{{ params.x | upper }}': filters and expressions are not supported " +
        '(a template holds one name: params.<name>, inputs.<task>[.<field>...] (with [0]-style indexes), ' +
        'run.id, run.logical_date, run.data_interval_start, run.data_interval_end, task.id, attempt, ' +
        'matrix.<key> in a matrix task, or map.index and ' +
        "map.item[.<field>...] in a mapped task; write '\\{{' for a literal '{{')",
    );
    expect(errors[1]).toMatchObject({ offset: 23 });
  });

  it('reports empty templates and names that are not dotted paths, and goes on after them', () => {
    const { parts, errors } = parseTemplate('{{ }}{{ a..b }}{{ a[x] }}{{ 1a }}{{ a. }}{{ run.id }}');
    expect(errors.map((error) => error.message.slice(0, 30))).toEqual([
      "empty template '{{ }}' (a temp",
      "unsupported template '{{ a..b ",
      "unsupported template '{{ a[x] ",
      "unsupported template '{{ 1a }}",
      "unsupported template '{{ a. }}",
    ]);
    expect(parts).toEqual([{ kind: 'name', path: ['run', 'id'], source: '{{ run.id }}', offset: 41 }]);
  });

  it('does not let a template span into the next one', () => {
    const { errors } = parseTemplate('{{ params.x {{ params.y }}');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain("'{{ params.x {{ params.y }}'");
  });
});

describe('parseTemplatePath and formatTemplatePath', () => {
  it('round-trip a path with fields and indexes', () => {
    const path = parseTemplatePath('inputs.a.files[0].path');
    expect(path).toEqual(['inputs', 'a', 'files', 0, 'path']);
    expect(formatTemplatePath(path ?? [])).toBe('inputs.a.files[0].path');
  });

  it('refuses leading zeros and negative indexes', () => {
    expect(parseTemplatePath('a[01]')).toBeUndefined();
    expect(parseTemplatePath('a[-1]')).toBeUndefined();
  });
});
