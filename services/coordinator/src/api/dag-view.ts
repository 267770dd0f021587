import { create } from '@bufbuild/protobuf';
import { type DagVersion, DagVersionSchema, timestamp } from '@tributary/proto';

/** A stored DAG version as the API shows it. */
export function dagVersionView(row: {
  dag: string;
  version: number;
  bundleHash: string;
  createdAt: Date;
  model: unknown;
}): DagVersion {
  const model = row.model as { description?: string; tasks?: unknown[] };
  return create(DagVersionSchema, {
    dag: row.dag,
    version: row.version,
    bundleHash: row.bundleHash,
    createdAt: timestamp(row.createdAt.getTime()),
    description: model.description ?? '',
    taskCount: model.tasks?.length ?? 0,
  });
}
