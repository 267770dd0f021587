import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDagFolder } from './load.js';

const SPEC = [
  'name: etl',
  'tasks:',
  '  extract: { kind: shell, command: ./extract.sh }',
  '  transform: { kind: node, module: ./lib/transform.ts, needs: [extract] }',
].join('\n');

describe('loadDagFolder', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tributary-spec-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function writeFiles(files: Record<string, string>): Promise<void> {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), text);
    }
  }

  it('reads a folder: finds the spec, lists files without node_modules and dot folders, parses', async () => {
    await writeFiles({
      'dag.yaml': SPEC,
      'extract.sh': '',
      'lib/transform.ts': '',
      'node_modules/x/index.js': '',
      '.git/HEAD': '',
      '.env': '',
    });
    const loaded = await loadDagFolder(root);
    expect(loaded.problems).toEqual([]);
    expect(loaded.dir).toBe(root);
    expect(loaded.specPath).toBe(join(root, 'dag.yaml'));
    expect(loaded.files).toEqual(['.env', 'dag.yaml', 'extract.sh', 'lib/transform.ts']);
    expect(loaded.model?.tasks.map((task) => task.id)).toEqual(['extract', 'transform']);
  });

  it('accepts the path of a dag.yml file and checks modules against the folder', async () => {
    await writeFiles({ 'dag.yml': SPEC, 'extract.sh': '' });
    const loaded = await loadDagFolder(join(root, 'dag.yml'));
    expect(loaded.dir).toBe(root);
    expect(loaded.problems).toEqual([
      expect.objectContaining({
        message: "module './lib/transform.ts' is not a file in the DAG folder",
        position: { file: join(root, 'dag.yml'), line: 4, column: 36 },
      }),
    ]);
  });

  it('returns a problem naming the path for a missing folder', async () => {
    const missing = join(root, 'nope');
    const loaded = await loadDagFolder(missing);
    expect(loaded.model).toBeUndefined();
    expect(loaded.problems).toEqual([{ message: `no such DAG folder or spec file: ${missing}` }]);
  });

  it('returns a problem for a folder without a spec, or with two', async () => {
    expect((await loadDagFolder(root)).problems).toEqual([{ message: `no dag.yaml or dag.yml in ${root}` }]);
    await writeFiles({ 'dag.yaml': SPEC, 'dag.yml': SPEC });
    expect((await loadDagFolder(root)).problems[0]?.message).toBe(
      `both dag.yaml and dag.yml in ${root}; keep one`,
    );
  });
});
