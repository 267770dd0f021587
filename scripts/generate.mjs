#!/usr/bin/env node
// Regenerates every checked-in generated file. CI runs this and fails if git sees a difference.
//   - packages/proto/src/gen: protobuf code from proto/ (buf + protoc-gen-es)
//   - schema/dag.schema.json: the DAG spec's JSON Schema, from packages/spec
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'node_modules', '.bin');
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };

rmSync(join(root, 'packages/proto/src/gen'), { recursive: true, force: true });
execFileSync(join(bin, 'buf'), ['lint'], { cwd: join(root, 'proto'), stdio: 'inherit', env });
execFileSync(join(bin, 'buf'), ['generate'], { cwd: join(root, 'proto'), stdio: 'inherit', env });
execFileSync(process.execPath, [join(root, 'scripts/write-dag-schema.mjs')], {
  cwd: root,
  stdio: 'inherit',
  env,
});
