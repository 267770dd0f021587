import { Code, type JsonObject, TributaryError } from '@tributary/core';
import { type DagModel, loadDagFolder } from '@tributary/spec';
import { reportError } from '../errors.js';
import { type CommandIo, EXIT_OK } from '../io.js';
import { renderParamsForm } from '../render/params-form.js';

/** What `tributary params` prints. */
export type ParamsFormat = 'json' | 'yaml';

/** The formats of `tributary params`, the default first. */
export const PARAMS_FORMATS: readonly ParamsFormat[] = ['json', 'yaml'];

/** Flags of `tributary params`. */
export interface ParamsCommandOptions {
  /** `--format json|yaml`. @default "json" */
  format?: ParamsFormat;
}

/** The draft the params schema is written in, named so that editors and other tools can check with it. */
const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

/** A DAG's params schema as a standalone JSON Schema document: the model's, with `$schema` first. */
export function paramsJsonSchema(model: DagModel): JsonObject {
  return { $schema: DRAFT_07, ...model.paramsSchema };
}

/**
 * `tributary params <dag>`: prints the JSON Schema of a DAG's run params (`--format json`), or a YAML
 * form to fill in and pass to `tributary run --params-file` (`--format yaml`). An unknown folder or
 * an invalid spec exits 2 with every problem on stderr, so stdout only ever holds the schema or form.
 */
export async function paramsCommand(
  path: string,
  options: ParamsCommandOptions,
  io: CommandIo,
): Promise<number> {
  try {
    const loaded = await loadDagFolder(path);
    const { model, problems } = loaded;
    if (problems.length > 0 || model === undefined) {
      const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
      throw new TributaryError(Code.InvalidArgument, `the DAG spec at ${path} is invalid (${count})`, {
        problems,
      });
    }
    io.out(
      options.format === 'yaml'
        ? renderParamsForm(model.paramsSchema, { dag: model.name, path })
        : `${JSON.stringify(paramsJsonSchema(model), null, 2)}\n`,
    );
    return EXIT_OK;
  } catch (error) {
    return reportError(io, error);
  }
}
