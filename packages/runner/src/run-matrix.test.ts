import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDagLocally } from './run-dag-locally.js';

const folders: string[] = [];

afterEach(async () => {
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const MATRIX_DAG = `
name: matrix_test
tasks:
  load:
    kind: shell
    matrix: { region: [eu, us], size: [1, 2] }
    env: { LABEL: "{{ matrix.region }}-{{ task.id }}" }
    command: printf '{"region":"%s","size":%s,"label":"%s","index":%s}\\n' {{ matrix.region }} {{ matrix.size }} "$LABEL" "$TRIBUTARY_MATRIX_INDEX"
  first:
    kind: shell
    needs: ['load[0]']
    command: printf '%s\\n' "$TRIBUTARY_INPUT_LOAD_0_"
  report:
    kind: node
    module: ./report.mjs
    needs: [load]
`;

const REPORT = `export const run = (ctx) => ({ ids: Object.keys(ctx.inputs).sort(), inputs: ctx.inputs, matrix: ctx.matrix });\n`;

describe('runDagLocally with a matrix task', () => {
  it('runs each instance with its values and gives downstream tasks every instance output by id', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-matrix-'));
    folders.push(dir);
    await writeFile(join(dir, 'dag.yaml'), MATRIX_DAG);
    await writeFile(join(dir, 'report.mjs'), REPORT);

    const summary = await runDagLocally({ path: dir, concurrency: 2 });

    expect(summary.run.state).toBe('succeeded');
    expect(Object.keys(summary.tasks)).toEqual([
      'load[0]',
      'load[1]',
      'load[2]',
      'load[3]',
      'first',
      'report',
    ]);
    const outputs = {
      'load[0]': { region: 'eu', size: 1, label: 'eu-load[0]', index: 0 },
      'load[1]': { region: 'eu', size: 2, label: 'eu-load[1]', index: 1 },
      'load[2]': { region: 'us', size: 1, label: 'us-load[2]', index: 2 },
      'load[3]': { region: 'us', size: 2, label: 'us-load[3]', index: 3 },
    };
    for (const [id, output] of Object.entries(outputs)) {
      expect(summary.tasks[id]).toMatchObject({ state: 'succeeded', attempts: 1, output });
    }
    // Only the instance it needs reaches `first`, under the variable name of `load[0]`.
    expect(summary.tasks.first?.output).toEqual(outputs['load[0]']);
    expect(summary.tasks.report?.output).toEqual({
      ids: ['load[0]', 'load[1]', 'load[2]', 'load[3]'],
      inputs: outputs,
      matrix: {},
    });
  });
});
