import type { JetStreamClient } from '@nats-io/jetstream';
import { type ObjectStore, Objm, StorageType } from '@nats-io/obj';
import { Code, TributaryError } from '@tributary/core';

/** Creates an object store bucket if needed (idempotent) and opens it. */
export async function openObjectBucket(js: JetStreamClient, bucket: string): Promise<ObjectStore> {
  try {
    return await new Objm(js).create(bucket, { storage: StorageType.File });
  } catch (error) {
    throw new TributaryError(Code.Unavailable, `cannot open object store ${bucket}: ${String(error)}`, {
      cause: error,
    });
  }
}

/**
 * Opens a bucket on first use and shares the open store afterwards. A failed open is retried by the next
 * caller instead of being cached forever.
 */
export function lazyBucket<T = ObjectStore>(open: () => Promise<T>): () => Promise<T> {
  let bucket: Promise<T> | undefined;
  return () => {
    if (bucket === undefined) {
      const opening = open();
      bucket = opening;
      opening.catch(() => {
        if (bucket === opening) bucket = undefined;
      });
    }
    return bucket;
  };
}
