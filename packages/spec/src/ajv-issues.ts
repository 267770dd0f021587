import type { ErrorObject } from 'ajv';

/** One way a value fails a schema, from ajv's errors; `path` leads from the value to the part. */
export interface AjvIssue {
  path: (string | number)[];
  /** The keyword that failed, e.g. `type`, `required`, `additionalProperties`. */
  keyword: string;
  message: string;
  /** The allowed values, when an `enum` failed. */
  allowed?: readonly unknown[];
}

const COMBINATORS = new Set(['anyOf', 'oneOf']);

/** The segments of a JSON pointer (`/a/0/b~1c` -> `['a', 0, 'b/c']`); digits become indexes. */
export function pointerPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

const within = (error: ErrorObject, parent: ErrorObject): boolean =>
  error.instancePath === parent.instancePath || error.instancePath.startsWith(`${parent.instancePath}/`);

/**
 * Drops the noise of `anyOf`/`oneOf`: branches whose `type` did not match say nothing the user needs,
 * and when a branch failed for another reason at the same place or deeper, its errors say more than
 * "must match a schema in anyOf" (a misspelt JSON type gets the list of types, not "must be array").
 * The summary is matched by place rather than schema path because a branch may be a `$ref`.
 */
function withoutCombinatorNoise(errors: ErrorObject[]): ErrorObject[] {
  const combinators = errors.filter((error) => COMBINATORS.has(error.keyword));
  const kept = errors.filter(
    (error) =>
      !(
        error.keyword === 'type' &&
        combinators.some((combinator) => error.schemaPath.startsWith(`${combinator.schemaPath}/`))
      ),
  );
  return kept.filter(
    (error) =>
      !COMBINATORS.has(error.keyword) ||
      !kept.some((other) => !COMBINATORS.has(other.keyword) && within(other, error)),
  );
}

function describe(error: ErrorObject): AjvIssue {
  const path = pointerPath(error.instancePath);
  const { keyword, params } = error;
  if (keyword === 'required') {
    return { path: [...path, String(params.missingProperty)], keyword, message: 'is required' };
  }
  if (keyword === 'additionalProperties') {
    const name = String(params.additionalProperty);
    return { path: [...path, name], keyword, message: 'is not a known property' };
  }
  const message = error.message ?? `must pass '${keyword}'`;
  if (keyword === 'enum' && Array.isArray(params.allowedValues)) {
    // ajv leaves the allowed values out of the message; they are what the user needs to know.
    const allowed = params.allowedValues.map((value: unknown) => JSON.stringify(value)).join(', ');
    return { path, keyword, message: `${message}: ${allowed}`, allowed: params.allowedValues };
  }
  return { path, keyword, message };
}

/**
 * Turns ajv's errors (from `allErrors: true`) into issues with paths and plain messages: a missing
 * or unknown property is named in the path, enums list their values, and the noise of failed
 * `anyOf`/`oneOf` branches is dropped.
 */
export function describeAjvErrors(errors: readonly ErrorObject[] | null | undefined): AjvIssue[] {
  return withoutCombinatorNoise([...(errors ?? [])]).map(describe);
}
