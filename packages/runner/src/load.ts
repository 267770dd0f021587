import { resolve } from 'node:path';
import { Code, type JsonObject, type Problem, TributaryError } from '@tributary/core';
import { type DagModel, loadDagFolder, validateParams } from '@tributary/spec';

/** A DAG ready to run locally. */
export interface LocalDag {
  dag: DagModel;
  /** Absolute path of the DAG folder. */
  dir: string;
  /** The params, validated, defaults applied. */
  params: JsonObject;
}

function invalid(what: string, problems: Problem[]): TributaryError {
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  return new TributaryError(Code.InvalidArgument, `${what} (${count})`, { problems });
}

/**
 * Loads and validates a DAG folder (or spec file) and the run's params.
 *
 * @throws TributaryError `InvalidArgument` with every problem of the spec, or of the params
 *   (each naming its field as `params.<name>`).
 */
export async function loadLocalDag(path: string, params: JsonObject): Promise<LocalDag> {
  const loaded = await loadDagFolder(path);
  if (loaded.problems.length > 0 || loaded.model === undefined) {
    throw invalid(`the DAG spec at ${path} is invalid`, loaded.problems);
  }
  const checked = validateParams(loaded.model, params);
  if (checked.problems.length > 0)
    throw invalid(`invalid params for DAG '${loaded.model.name}'`, checked.problems);
  // Executors resolve modules and run shells from here, whatever the caller's working directory.
  return { dag: loaded.model, dir: resolve(loaded.dir), params: checked.params };
}
