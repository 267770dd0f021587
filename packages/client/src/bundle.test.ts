import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { Code } from '@tributary/core';
import { BundleSchema } from '@tributary/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundleHash, packDagFolder } from './bundle.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-bundle-'));
  await writeFile(join(dir, 'dag.yaml'), 'name: etl\n');
  await mkdir(join(dir, 'scripts'));
  await writeFile(join(dir, 'scripts', 'extract.sh'), '#!/bin/sh\necho hi\n');
  await chmod(join(dir, 'scripts', 'extract.sh'), 0o755);
  await chmod(join(dir, 'dag.yaml'), 0o644);
  await writeFile(join(dir, 'b.ts'), 'export const b = 1;\n');
  await chmod(join(dir, 'b.ts'), 0o640);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('packDagFolder', () => {
  it('packs every file, sorted by relative path with forward slashes', async () => {
    const { bundle } = await packDagFolder(dir);
    expect(bundle.files.map((f) => f.path)).toEqual(['b.ts', 'dag.yaml', 'scripts/extract.sh']);
    expect(new TextDecoder().decode(bundle.files[1]?.content)).toBe('name: etl\n');
  });

  it('keeps permission bits', async () => {
    const { bundle } = await packDagFolder(dir);
    expect(bundle.files.map((f) => f.mode)).toEqual([0o640, 0o644, 0o755]);
  });

  it('gives the same folder the same hash, and bytes that decode to the bundle', async () => {
    const first = await packDagFolder(dir);
    const second = await packDagFolder(dir);
    expect(second.hash).toBe(first.hash);
    expect(first.hash).toBe(createHash('sha256').update(first.bytes).digest('hex'));
    expect(fromBinary(BundleSchema, first.bytes)).toEqual(first.bundle);
  });

  it('changes the hash when a file, a name or a mode changes', async () => {
    const original = (await packDagFolder(dir)).hash;
    await writeFile(join(dir, 'b.ts'), 'export const b = 2;\n');
    const edited = (await packDagFolder(dir)).hash;
    await chmod(join(dir, 'b.ts'), 0o600);
    const chmodded = (await packDagFolder(dir)).hash;
    expect(new Set([original, edited, chmodded]).size).toBe(3);
  });

  it('skips node_modules, .git and other dot-directories but keeps dot-files', async () => {
    for (const skipped of ['node_modules/lib', '.git', '.cache']) {
      await mkdir(join(dir, skipped), { recursive: true });
      await writeFile(join(dir, skipped, 'x.js'), 'x');
    }
    await writeFile(join(dir, '.env.example'), 'A=1\n');
    const { bundle } = await packDagFolder(dir);
    expect(bundle.files.map((f) => f.path)).toEqual([
      '.env.example',
      'b.ts',
      'dag.yaml',
      'scripts/extract.sh',
    ]);
  });

  it('follows symbolic links and visits a link cycle once', async () => {
    await symlink(join(dir, 'dag.yaml'), join(dir, 'linked.yaml'));
    await symlink(dir, join(dir, 'scripts', 'loop'));
    const { bundle } = await packDagFolder(dir);
    expect(bundle.files.map((f) => f.path)).toEqual([
      'b.ts',
      'dag.yaml',
      'linked.yaml',
      'scripts/extract.sh',
    ]);
  });

  it('rejects a missing folder with NotFound and a file with InvalidArgument', async () => {
    await expect(packDagFolder(join(dir, 'missing'))).rejects.toMatchObject({
      code: Code.NotFound,
      message: expect.stringContaining('missing'),
    });
    await expect(packDagFolder(join(dir, 'dag.yaml'))).rejects.toMatchObject({ code: Code.InvalidArgument });
  });
});

describe('bundleHash', () => {
  it('is the hex sha256 of the bytes', () => {
    expect(bundleHash(new Uint8Array())).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});
