#!/usr/bin/env node
// Writes schema/dag.schema.json, the JSON Schema of DAG spec files that editors use for completion
// and help, from the built @tributary/spec package (build it first: npx tsc -b packages/spec).
// packages/spec/src/schema-file.test.ts fails when the checked-in file differs from DAG_SPEC_SCHEMA.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { DAG_SPEC_SCHEMA } = await import(join(root, 'packages/spec/dist/index.js'));
const target = join(root, 'schema/dag.schema.json');
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, `${JSON.stringify(DAG_SPEC_SCHEMA, null, 2)}\n`);
console.log(`wrote ${target}`);
