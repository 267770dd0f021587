import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { BundleSchema } from '@tributary/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBundleCache, safePath } from './bundle-cache.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bundle-cache-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function bundle(files: { path: string; content: string; mode?: number }[]): Uint8Array {
  const encoder = new TextEncoder();
  return toBinary(
    BundleSchema,
    create(BundleSchema, {
      files: files.map((file) => ({
        path: file.path,
        content: encoder.encode(file.content),
        mode: file.mode ?? 0,
      })),
    }),
  );
}

describe('createBundleCache', () => {
  it('unpacks a bundle into <dir>/<hash> with its file modes', async () => {
    const cache = createBundleCache(dir, async () =>
      bundle([
        { path: 'dag.yaml', content: 'name: x' },
        { path: 'bin/run.sh', content: 'echo hi', mode: 0o755 },
      ]),
    );
    const root = await cache.ensure('h1');
    expect(root).toBe(join(dir, 'h1'));
    expect(await readFile(join(dir, 'h1', 'dag.yaml'), 'utf8')).toBe('name: x');
    expect((await stat(join(dir, 'h1', 'bin/run.sh'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(dir, 'h1', 'dag.yaml'))).mode & 0o777).toBe(0o644);
  });

  it('fetches a bundle once for concurrent requests and not again once cached', async () => {
    let loads = 0;
    const cache = createBundleCache(dir, async () => {
      loads++;
      return bundle([{ path: 'a.txt', content: 'a' }]);
    });
    const roots = await Promise.all([cache.ensure('h1'), cache.ensure('h1'), cache.ensure('h1')]);
    expect(new Set(roots).size).toBe(1);
    await cache.ensure('h1');
    expect(loads).toBe(1);
  });

  it('ends up with one complete folder when two caches race for the same bundle', async () => {
    const load = async () => bundle([{ path: 'a.txt', content: 'a' }]);
    const [first, second] = await Promise.all([
      createBundleCache(dir, load).ensure('h1'),
      createBundleCache(dir, load).ensure('h1'),
    ]);
    expect(first).toBe(second);
    expect(await readFile(join(dir, 'h1', 'a.txt'), 'utf8')).toBe('a');
    // No staging folders left behind.
    expect(await readdir(dir)).toEqual(['h1']);
  });

  it('returns null for a bundle the store does not have', async () => {
    expect(await createBundleCache(dir, async () => null).ensure('missing')).toBeNull();
  });

  it('rejects a bundle whose file paths escape its folder and leaves nothing behind', async () => {
    const cache = createBundleCache(dir, async () => bundle([{ path: '../evil.sh', content: 'x' }]));
    await expect(cache.ensure('h1')).rejects.toThrow(/escapes the bundle/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('rejects a hash that is not a plain name', async () => {
    await expect(createBundleCache(dir, async () => null).ensure('../x')).rejects.toThrow(
      /invalid bundle hash/,
    );
  });

  it('rejects bytes that are not a Bundle as DataLoss', async () => {
    const cache = createBundleCache(dir, async () => new Uint8Array([0xff, 0xff, 0xff]));
    await expect(cache.ensure('h1')).rejects.toThrow(/not a valid Bundle/);
  });
});

describe('safePath', () => {
  it.each(['/etc/passwd', '..', '../x', 'a/../../x', ''])('rejects %j', (path) => {
    expect(() => safePath('/root/b', path)).toThrow(/escapes the bundle/);
  });

  it('accepts nested and dot-prefixed names inside the folder', () => {
    expect(safePath('/root/b', 'a/b/c.ts')).toBe('/root/b/a/b/c.ts');
    expect(safePath('/root/b', '..hidden')).toBe('/root/b/..hidden');
  });
});
