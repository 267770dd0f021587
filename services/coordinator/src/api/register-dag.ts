import { createHash } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import type { Bus } from '@tributary/bus';
import { Code, type JsonObject, type Problem, TributaryError } from '@tributary/core';
import { type DagVersionRow, type Database, registerDagVersion } from '@tributary/db';
import { type Bundle, BundleSchema } from '@tributary/proto';
import { parseDagSpec, SPEC_FILE_NAMES } from '@tributary/spec';

/**
 * Validates a bundle's spec, stores the bundle in the NATS object store under its content hash, then
 * records the version in Postgres (in this order, so that no version ever names a missing bundle).
 * Files are sorted first, so the hash depends on content only, not on the order a client sent.
 */
export async function registerBundle(
  deps: { db: Database; bus: Bus },
  received: Bundle,
): Promise<{ version: DagVersionRow; created: boolean }> {
  const bundle = create(BundleSchema, {
    files: [...received.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  });
  checkPaths(bundle);
  const specFile = bundle.files.find((file) => SPEC_FILE_NAMES.includes(file.path));
  if (!specFile) {
    throw new TributaryError(
      Code.InvalidArgument,
      `the bundle has no spec file (${SPEC_FILE_NAMES.join(' or ')})`,
      {
        problems: [
          { field: 'bundle.files', message: `no ${SPEC_FILE_NAMES.join(' or ')} at the top of the folder` },
        ],
      },
    );
  }
  const parsed = parseDagSpec(new TextDecoder().decode(specFile.content), {
    file: specFile.path,
    files: new Set(bundle.files.map((file) => file.path)),
  });
  if (!parsed.model || parsed.problems.length > 0) {
    const count = parsed.problems.length;
    throw new TributaryError(
      Code.InvalidArgument,
      `${count} problem${count === 1 ? '' : 's'} in ${specFile.path}`,
      {
        problems: parsed.problems,
      },
    );
  }
  const bytes = toBinary(BundleSchema, bundle);
  const hash = createHash('sha256').update(bytes).digest('hex');
  await deps.bus.bundles.put(hash, bytes);
  return registerDagVersion(deps.db.sql, {
    dag: parsed.model.name,
    bundleHash: hash,
    model: parsed.model as unknown as JsonObject,
  });
}

/** Bundle paths are relative, normalised and unique: a worker unpacks them under one folder. */
function checkPaths(bundle: Bundle): void {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const file of bundle.files) {
    const bad =
      file.path === '' ||
      file.path.startsWith('/') ||
      file.path.split('/').some((part) => part === '..' || part === '.' || part === '');
    if (bad)
      problems.push({
        field: 'bundle.files.path',
        message: `'${file.path}' is not a relative path inside the folder`,
      });
    if (seen.has(file.path))
      problems.push({ field: 'bundle.files.path', message: `'${file.path}' appears twice` });
    seen.add(file.path);
  }
  if (problems.length > 0) {
    throw new TributaryError(Code.InvalidArgument, 'the bundle has bad file paths', { problems });
  }
}
