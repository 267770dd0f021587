import type { ObjectStore } from '@nats-io/obj';
import type { BundleStore } from './types.js';

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
