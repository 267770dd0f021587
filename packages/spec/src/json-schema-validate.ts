import { FORMATS } from './formats.js';

/**
 * Evaluates a value against a schema that {@link checkSchema} accepted. Messages follow ajv's wording
 * ("must be string", "must be >= 1") so they read the same as other JSON Schema tools.
 */

/** One way a value does not match; `path` leads from the validated value to the offending part. */
export interface ValueIssue {
  path: (string | number)[];
  message: string;
  /** The keyword that failed, e.g. `type`, `required`, `additionalProperties`. */
  keyword: string;
}

type Schema = boolean | Record<string, unknown>;
type Path = (string | number)[];

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function typeMatches(name: unknown, value: unknown): boolean {
  switch (name) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'string':
      return typeof value === 'string';
    default:
      return false;
  }
}

/** Structural equality of JSON values, for `enum`, `const` and `uniqueItems`. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && jsonEqual(a[key], b[key]));
  }
  return false;
}

function checkNumber(schema: Record<string, unknown>, value: number, path: Path, issues: ValueIssue[]): void {
  const bounds: [string, string, (limit: number) => boolean][] = [
    ['minimum', '>=', (limit) => value >= limit],
    ['maximum', '<=', (limit) => value <= limit],
    ['exclusiveMinimum', '>', (limit) => value > limit],
    ['exclusiveMaximum', '<', (limit) => value < limit],
  ];
  for (const [keyword, operator, ok] of bounds) {
    const limit = schema[keyword];
    if (typeof limit === 'number' && !ok(limit)) issues.push({ path, keyword, message: `must be ${operator} ${limit}` });
  }
  const step = schema.multipleOf;
  if (typeof step === 'number' && !Number.isInteger(value / step)) {
    issues.push({ path, keyword: 'multipleOf', message: `must be multiple of ${step}` });
  }
}

function checkString(schema: Record<string, unknown>, value: string, path: Path, issues: ValueIssue[]): void {
  const length = [...value].length;
  const { minLength, maxLength, pattern, format } = schema;
  if (typeof minLength === 'number' && length < minLength) {
    issues.push({ path, keyword: 'minLength', message: `must NOT have fewer than ${minLength} characters` });
  }
  if (typeof maxLength === 'number' && length > maxLength) {
    issues.push({ path, keyword: 'maxLength', message: `must NOT have more than ${maxLength} characters` });
  }
  if (typeof pattern === 'string' && !new RegExp(pattern, 'u').test(value)) {
    issues.push({ path, keyword: 'pattern', message: `must match pattern "${pattern}"` });
  }
  if (typeof format === 'string' && FORMATS[format]?.(value) === false) {
    issues.push({ path, keyword: 'format', message: `must match format "${format}"` });
  }
}

function checkArray(schema: Record<string, unknown>, value: unknown[], path: Path, issues: ValueIssue[]): void {
  const { items, minItems, maxItems, uniqueItems } = schema;
  if (typeof minItems === 'number' && value.length < minItems) {
    issues.push({ path, keyword: 'minItems', message: `must NOT have fewer than ${minItems} items` });
  }
  if (typeof maxItems === 'number' && value.length > maxItems) {
    issues.push({ path, keyword: 'maxItems', message: `must NOT have more than ${maxItems} items` });
  }
  if (uniqueItems === true && value.some((item, index) => value.findIndex((other) => jsonEqual(item, other)) !== index)) {
    issues.push({ path, keyword: 'uniqueItems', message: 'must NOT have duplicate items' });
  }
  if (items !== undefined) value.forEach((item, index) => validateAt(items as Schema, item, [...path, index], issues));
}

function checkObject(schema: Record<string, unknown>, value: Record<string, unknown>, path: Path, issues: ValueIssue[]): void {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required : [];
  for (const name of required) {
    if (!(name in value)) issues.push({ path: [...path, name], keyword: 'required', message: 'is required' });
  }
  const count = Object.keys(value).length;
  const { minProperties, maxProperties, additionalProperties } = schema;
  if (typeof minProperties === 'number' && count < minProperties) {
    issues.push({ path, keyword: 'minProperties', message: `must NOT have fewer than ${minProperties} properties` });
  }
  if (typeof maxProperties === 'number' && count > maxProperties) {
    issues.push({ path, keyword: 'maxProperties', message: `must NOT have more than ${maxProperties} properties` });
  }
  for (const [name, item] of Object.entries(value)) {
    const property = properties[name] as Schema | undefined;
    if (property !== undefined) validateAt(property, item, [...path, name], issues);
    else if (additionalProperties === false) {
      issues.push({ path: [...path, name], keyword: 'additionalProperties', message: 'is not a known property' });
    } else if (additionalProperties !== undefined) validateAt(additionalProperties as Schema, item, [...path, name], issues);
  }
}

function checkCombinators(schema: Record<string, unknown>, value: unknown, path: Path, issues: ValueIssue[]): void {
  const matches = (item: unknown): boolean => validate(item as Schema, value).length === 0;
  const { allOf, anyOf, oneOf, not } = schema;
  if (Array.isArray(allOf)) for (const item of allOf) validateAt(item as Schema, value, path, issues);
  if (Array.isArray(anyOf) && !anyOf.some(matches)) {
    issues.push({ path, keyword: 'anyOf', message: 'must match a schema in anyOf' });
  }
  if (Array.isArray(oneOf) && oneOf.filter(matches).length !== 1) {
    issues.push({ path, keyword: 'oneOf', message: 'must match exactly one schema in oneOf' });
  }
  if (not !== undefined && matches(not)) issues.push({ path, keyword: 'not', message: 'must NOT be valid' });
}

function validateAt(schema: Schema, value: unknown, path: Path, issues: ValueIssue[]): void {
  if (schema === true) return;
  if (schema === false) return void issues.push({ path, keyword: 'false schema', message: 'is not allowed' });
  const types = schema.type === undefined ? undefined : [schema.type].flat();
  if (types !== undefined && !types.some((name) => typeMatches(name, value))) {
    // Like ajv: a value of the wrong type gets no further messages that would only repeat it.
    return void issues.push({ path, keyword: 'type', message: `must be ${types.join(',')}` });
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((item) => jsonEqual(item, value))) {
    const allowed = schema.enum.map((item) => JSON.stringify(item)).join(', ');
    issues.push({ path, keyword: 'enum', message: `must be equal to one of the allowed values: ${allowed}` });
  }
  if ('const' in schema && !jsonEqual(schema.const, value)) {
    issues.push({ path, keyword: 'const', message: `must be equal to constant ${JSON.stringify(schema.const)}` });
  }
  if (typeof value === 'number') checkNumber(schema, value, path, issues);
  else if (typeof value === 'string') checkString(schema, value, path, issues);
  else if (Array.isArray(value)) checkArray(schema, value, path, issues);
  else if (isObject(value)) checkObject(schema, value, path, issues);
  checkCombinators(schema, value, path, issues);
}

/** Every way `value` fails `schema`; empty when it matches. */
export function validate(schema: Schema, value: unknown): ValueIssue[] {
  const issues: ValueIssue[] = [];
  validateAt(schema, value, [], issues);
  return issues;
}

/**
 * A copy of `value` with the `default` of every missing property filled in, recursively (as ajv's
 * `useDefaults` does). Defaults are copied so that callers never share the schema's objects.
 */
export function applyDefaults(schema: Schema, value: unknown): unknown {
  if (typeof schema === 'boolean' || !isObject(value) || !isObject(schema.properties)) return value;
  const result: Record<string, unknown> = { ...value };
  for (const [name, property] of Object.entries(schema.properties)) {
    if (!isObject(property)) continue;
    if (!(name in result) && 'default' in property) result[name] = structuredClone(property.default);
    if (name in result) result[name] = applyDefaults(property as Schema, result[name]);
  }
  return result;
}
