import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { Code, TributaryError } from '@tributary/core';
import { type Bundle, type BundleFile, BundleFileSchema, BundleSchema } from '@tributary/proto';

/** A packed DAG folder: the bundle, its binary encoding and the content hash of that encoding. */
export interface PackedBundle {
  bundle: Bundle;
  /** `toBinary(BundleSchema, bundle)`: what gets hashed and stored. */
  bytes: Uint8Array;
  /** Hex sha256 of `bytes`. */
  hash: string;
}

/** The hex sha256 of a serialized bundle: its content address. */
export function bundleHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Packs a DAG folder into a deterministic {@link Bundle}: files sorted by path (code-unit order),
 * relative paths with '/', permission bits kept, skipping `node_modules`, `.git` and every other
 * dot-directory. Symbolic links are followed (a link cycle is visited once).
 * @throws TributaryError `NotFound` when the folder does not exist, `InvalidArgument` when it is a file.
 */
export async function packDagFolder(dir: string): Promise<PackedBundle> {
  const root = resolve(dir);
  const info = await stat(root).catch((error: unknown) => {
    if (isCode(error, 'ENOENT'))
      throw new TributaryError(Code.NotFound, `DAG folder '${dir}' does not exist`);
    throw TributaryError.from(error);
  });
  if (!info.isDirectory()) throw new TributaryError(Code.InvalidArgument, `'${dir}' is not a folder`);
  const files: BundleFile[] = [];
  await collect(root, '', new Set([await realpath(root)]), files);
  // Plain comparison, not localeCompare: the order (and so the hash) must not depend on the machine.
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const bundle = create(BundleSchema, { files });
  const bytes = toBinary(BundleSchema, bundle);
  return { bundle, bytes, hash: bundleHash(bytes) };
}

async function collect(
  dir: string,
  prefix: string,
  visited: Set<string>,
  files: BundleFile[],
): Promise<void> {
  const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    // stat() follows symbolic links, so a linked file or folder is packed like a real one.
    const info = entry.isSymbolicLink() ? await stat(path) : undefined;
    if (entry.isDirectory() || info?.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const real = await realpath(path);
      if (visited.has(real)) continue;
      visited.add(real);
      await collect(path, relative, visited, files);
    } else if (entry.isFile() || info?.isFile()) {
      const [content, fileInfo] = await Promise.all([readFile(path), info ?? stat(path)]);
      // A plain Uint8Array view, so that bundles compare equal however the bytes were read.
      const bytes = new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
      files.push(create(BundleFileSchema, { path: relative, content: bytes, mode: fileInfo.mode & 0o777 }));
    }
    // Sockets, FIFOs and devices are not part of a DAG.
  }
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
