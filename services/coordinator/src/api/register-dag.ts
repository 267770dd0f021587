import { createHash } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import { type Bus, triggerSubjectProblem } from '@tributary/bus';
import { Code, type JsonObject, type Problem, TributaryError } from '@tributary/core';
import { type DagVersionRow, type Database, latestEventTriggers, registerDagVersion } from '@tributary/db';
import { type Bundle, BundleSchema } from '@tributary/proto';
import { parseDagSpec, SPEC_FILE_NAMES } from '@tributary/spec';
import { triggerSubjects } from '../event-triggers.js';

/**
 * Validates a bundle's spec, makes the trigger stream capture its `on.subject` (if any), stores the
 * bundle in the NATS object store under its content hash, then records the version in Postgres (in this
 * order, so that no version ever names a missing bundle or a subject NATS refused).
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
  if (parsed.model.events) await captureTriggerSubject(deps, parsed.model.name, parsed.model.events.subject);
  const bytes = toBinary(BundleSchema, bundle);
  const hash = createHash('sha256').update(bytes).digest('hex');
  await deps.bus.bundles.put(hash, bytes);
  return registerDagVersion(deps.db.sql, {
    dag: parsed.model.name,
    bundleHash: hash,
    model: parsed.model as unknown as JsonObject,
  });
}

/**
 * Adds the DAG's `on.subject` to the trigger stream, with the other DAGs' (the leader's own sync
 * removes subjects no DAG has any more), so that a subject NATS refuses fails the registration.
 * @throws TributaryError `InvalidArgument` when the subject overlaps Tributary's own `<prefix>.>`;
 * `FailedPrecondition` naming the stream that holds an overlapping subject.
 */
async function captureTriggerSubject(deps: { db: Database; bus: Bus }, dag: string, subject: string) {
  const problem = triggerSubjectProblem(deps.bus.prefix, subject);
  if (problem !== undefined) {
    throw new TributaryError(Code.InvalidArgument, `on.subject cannot be used: ${problem}`, {
      problems: [{ field: 'on.subject', message: problem }],
    });
  }
  // Another DAG's subject that the stream cannot take is the leader's to report, not a reason to refuse this DAG.
  const others = triggerSubjects(
    (await latestEventTriggers(deps.db.sql)).filter((row) => row.dag !== dag),
  ).filter((other) => triggerSubjectProblem(deps.bus.prefix, other) === undefined);
  try {
    await deps.bus.ensureTriggerStream([...others, subject]);
  } catch (error) {
    if (!(error instanceof TributaryError && error.code === Code.FailedPrecondition)) throw error;
    throw new TributaryError(
      Code.FailedPrecondition,
      `on.subject '${subject}' cannot be captured: ${error.message}`,
      {
        cause: error,
        problems: [{ field: 'on.subject', message: 'NATS refuses this subject in the trigger stream' }],
      },
    );
  }
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
