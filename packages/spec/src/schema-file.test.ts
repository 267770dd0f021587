import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseDuration } from './durations.js';
import { ANY_TASK_FIELDS, DEFAULTS_FIELDS, TOP_FIELDS } from './fields.js';
import { SPEC_FILE_NAMES } from './load.js';
import { DAG_SPEC_SCHEMA } from './schema.js';

type Schema = { properties?: Record<string, { description?: string }>; additionalProperties?: unknown };
const definitions = DAG_SPEC_SCHEMA.definitions as Record<string, Schema>;

describe('DAG_SPEC_SCHEMA', () => {
  it('is what schema/dag.schema.json holds (regenerate: node scripts/write-dag-schema.mjs)', async () => {
    const file = await readFile(new URL('../../../schema/dag.schema.json', import.meta.url), 'utf8');
    expect(file).toBe(`${JSON.stringify(DAG_SPEC_SCHEMA, null, 2)}\n`);
  });

  it('describes every field and closes every object, so editors help and flag typos', () => {
    const objects: [Schema, object][] = [
      [DAG_SPEC_SCHEMA as Schema, TOP_FIELDS],
      [definitions.defaults as Schema, DEFAULTS_FIELDS],
    ];
    for (const [schema, fields] of objects) {
      expect(Object.keys(schema.properties ?? {})).toEqual(Object.keys(fields));
      expect(schema.additionalProperties).toBe(false);
    }
    const taskFields = new Set([
      ...Object.keys(definitions.nodeTask?.properties ?? {}),
      ...Object.keys(definitions.shellTask?.properties ?? {}),
      ...Object.keys(definitions.sqlTask?.properties ?? {}),
      ...Object.keys(definitions.dagTask?.properties ?? {}),
      ...Object.keys(definitions.containerTask?.properties ?? {}),
    ]);
    expect([...taskFields].sort()).toEqual(Object.keys(ANY_TASK_FIELDS).sort());
    for (const schema of [DAG_SPEC_SCHEMA as Schema, ...Object.values(definitions)]) {
      for (const property of Object.values(schema.properties ?? {}))
        expect(property.description).toBeTruthy();
    }
  });

  it('accepts the same duration strings as the parser', () => {
    const durationString =
      (definitions.duration as { oneOf: { pattern?: string }[] }).oneOf[0]?.pattern ?? '';
    for (const text of ['30s', '10m', '500ms', '30x', '1 h', '-1s']) {
      expect(new RegExp(durationString).test(text)).toBe(parseDuration(text) !== undefined);
    }
  });

  it('names the spec files a DAG folder may hold', () => {
    expect(SPEC_FILE_NAMES).toEqual(['dag.yaml', 'dag.yml']);
  });
});
