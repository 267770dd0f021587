import { Code, type JsonObject, type Problem, TributaryError } from '@tributary/core';
import type { ValidateFunction } from 'ajv';
import { compileSchema } from './ajv-instance.js';
import { describeAjvErrors } from './ajv-issues.js';
import type { DagModel } from './model.js';

/** Each model's compiled params schema; weak, so a model and its validator go together. */
const validators = new WeakMap<DagModel, ValidateFunction>();

function validatorOf(model: DagModel): ValidateFunction {
  let validate = validators.get(model);
  if (validate === undefined) {
    try {
      validate = compileSchema(model.paramsSchema);
    } catch (error) {
      // parseDagSpec checks every param, so only a model built or stored elsewhere gets here.
      const message = `the params schema of DAG '${model.name}' is not valid JSON Schema: ${(error as Error).message}`;
      throw new TributaryError(Code.InvalidArgument, message, { cause: error });
    }
    validators.set(model, validate);
  }
  return validate;
}

/**
 * Checks a run's params against the DAG's params schema (compiled by ajv once per model) and returns
 * them with the schema's defaults applied; `params` itself is not changed. Problems name the param
 * as `params.<name>` (deeper parts as `params.<name>.<key>`) and come in field order.
 *
 * @throws TributaryError (InvalidArgument) when the model's params schema does not compile.
 */
export function validateParams(
  model: DagModel,
  params: JsonObject,
): { params: JsonObject; problems: Problem[] } {
  const validate = validatorOf(model);
  const withDefaults = structuredClone(params);
  validate(withDefaults);
  const problems = describeAjvErrors(validate.errors).map((issue): Problem => {
    const unknownParam = issue.keyword === 'additionalProperties' && issue.path.length === 1;
    return {
      field: ['params', ...issue.path].join('.'),
      message: unknownParam ? 'is not a known param' : issue.message,
    };
  });
  // ajv reports in the order it evaluates keywords (unknown properties before known ones); sorting by
  // field (the sort is stable) puts all problems of one param together, whatever the schema.
  problems.sort((a, b) => (a.field ?? '').localeCompare(b.field ?? ''));
  return { params: withDefaults, problems };
}
