import { chmod, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { Code, TributaryError } from '@tributary/core';
import { type Bundle, BundleSchema } from '@tributary/proto';

/** Unpacked bundles on local disk, one folder per hash, fetched on first use. */
export interface BundleCache {
  /**
   * The absolute folder of the unpacked bundle, or null when the store has no bundle with this hash.
   * @throws TributaryError `InvalidArgument` for a hash that is not a plain name or a bundle whose file
   * paths escape its folder; `DataLoss` for bytes that are not a Bundle; the store's own errors.
   */
  ensure(hash: string): Promise<string | null>;
}

/** Creates a {@link BundleCache} under `dir`, loading missing bundles with `load`. */
export function createBundleCache(
  dir: string,
  load: (hash: string) => Promise<Uint8Array | null>,
): BundleCache {
  // Concurrent deliveries of one DAG share a single download and unpack.
  const pending = new Map<string, Promise<string | null>>();
  // Folders this worker found or unpacked: a bundle is content-addressed and its folder is this worker's
  // own, so it is checked on disk once, not with a stat per task.
  const ready = new Map<string, string>();
  return {
    ensure(hash) {
      const known = ready.get(hash);
      if (known !== undefined) return Promise.resolve(known);
      if (!/^[A-Za-z0-9_-]+$/.test(hash)) {
        return Promise.reject(
          new TributaryError(Code.InvalidArgument, `invalid bundle hash ${JSON.stringify(hash)}`),
        );
      }
      let promise = pending.get(hash);
      if (promise === undefined) {
        promise = fetchAndUnpack(dir, hash, load)
          .then((folder) => {
            if (folder !== null) ready.set(hash, folder);
            return folder;
          })
          .finally(() => pending.delete(hash));
        pending.set(hash, promise);
      }
      return promise;
    },
  };
}

async function fetchAndUnpack(
  dir: string,
  hash: string,
  load: (hash: string) => Promise<Uint8Array | null>,
): Promise<string | null> {
  const target = join(dir, hash);
  if (await isDirectory(target)) return target;
  const bytes = await load(hash);
  if (bytes === null) return null;
  const bundle = decodeBundle(hash, bytes);
  await mkdir(dir, { recursive: true });
  // Unpack beside the target and rename: readers only ever see a complete folder, and rename is atomic.
  const staging = await mkdtemp(join(dir, `.${hash}-`));
  try {
    await writeFiles(staging, bundle);
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another process (or worker) renamed its copy first: theirs is as good as ours.
    if (isRenameRace(error) && (await isDirectory(target))) return target;
    throw error;
  }
  return target;
}

function decodeBundle(hash: string, bytes: Uint8Array): Bundle {
  try {
    return fromBinary(BundleSchema, bytes);
  } catch (error) {
    throw new TributaryError(Code.DataLoss, `bundle ${hash} is not a valid Bundle: ${String(error)}`, {
      cause: error,
    });
  }
}

async function writeFiles(root: string, bundle: Bundle): Promise<void> {
  for (const file of bundle.files) {
    const path = safePath(root, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.content);
    // Only permission bits: a bundle must not create setuid files. 0 means "not recorded".
    const mode = file.mode & 0o777;
    await chmod(path, mode === 0 ? 0o644 : mode);
  }
}

/** The absolute path of `path` under `root`. @throws TributaryError `InvalidArgument` if it escapes. */
export function safePath(root: string, path: string): string {
  const absolute = resolve(root, path);
  const inside = relative(root, absolute);
  if (
    path === '' ||
    isAbsolute(path) ||
    inside === '' ||
    inside === '..' ||
    inside.startsWith(`..${sep}`) ||
    isAbsolute(inside)
  ) {
    throw new TributaryError(
      Code.InvalidArgument,
      `bundle file path ${JSON.stringify(path)} escapes the bundle`,
    );
  }
  return absolute;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function isRenameRace(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST';
}
