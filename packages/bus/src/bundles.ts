import type { JetStreamClient } from '@nats-io/jetstream';
import { type ObjectStore, Objm, StorageType } from '@nats-io/obj';
import { Code, TributaryError } from '@tributary/core';
import type { BundleStore } from './types.js';

/** Creates the bundle bucket if needed (idempotent) and opens it. */
export async function openBundleBucket(js: JetStreamClient, bucket: string): Promise<ObjectStore> {
  try {
    return await new Objm(js).create(bucket, { storage: StorageType.File });
  } catch (error) {
    throw new TributaryError(Code.Unavailable, `cannot open object store ${bucket}: ${String(error)}`, {
      cause: error,
    });
  }
}

/**
 * Bundles in the object store, named by their hash. Content-addressed, so a second put of the same hash
 * (a racing deploy) is skipped or, at worst, rewrites identical bytes.
 */
export function createBundleStore(open: () => Promise<ObjectStore>): BundleStore {
  return {
    async put(hash, bytes) {
      const store = await open();
      if (await isPresent(store, hash)) return;
      await store.putBlob({ name: hash }, bytes);
    },
    async get(hash) {
      const store = await open();
      const blob = await store.getBlob(hash);
      // The client hands out a Buffer for single-chunk objects: give every caller a plain Uint8Array.
      return blob === null ? null : new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength);
    },
    async has(hash) {
      return await isPresent(await open(), hash);
    },
  };
}

async function isPresent(store: ObjectStore, hash: string): Promise<boolean> {
  const info = await store.info(hash);
  return info !== null && !info.deleted;
}
