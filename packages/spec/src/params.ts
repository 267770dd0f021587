import type { JsonObject, Problem } from '@tributary/core';
import { applyDefaults, validate } from './json-schema-validate.js';
import type { DagModel } from './model.js';

/**
 * Checks a run's params against the DAG's params schema and returns them with the schema's defaults
 * applied. Problems name the param as `params.<name>` (deeper parts as `params.<name>.<key>`).
 */
export function validateParams(model: DagModel, params: JsonObject): { params: JsonObject; problems: Problem[] } {
  const schema = model.paramsSchema;
  const withDefaults = applyDefaults(schema, params) as JsonObject;
  const problems = validate(schema, withDefaults).map((issue): Problem => {
    const unknownParam = issue.keyword === 'additionalProperties' && issue.path.length === 1;
    return {
      field: ['params', ...issue.path].join('.'),
      message: unknownParam ? 'is not a known param' : issue.message,
    };
  });
  return { params: withDefaults, problems };
}
