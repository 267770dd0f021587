import { FORMATS } from './formats.js';
import { didYouMean } from './suggest.js';

/**
 * Checks that a param's schema is a JSON Schema this project can evaluate, strictly: unknown keywords
 * are errors (a typo such as `minimun` would otherwise be silently ignored, as in ajv's strict mode).
 * The supported subset is what run parameters need and is common to draft-07 and 2020-12; `$ref` and
 * the conditional keywords are not supported.
 */

/** One thing wrong with a schema; `path` leads from the schema root to the keyword's value. */
export interface SchemaIssue {
  path: (string | number)[];
  message: string;
  /** Whether the issue is about the key at `path` (an unknown keyword) rather than its value. */
  onKey?: boolean;
}

/** Names of the JSON types. */
export const JSON_TYPES = ['null', 'boolean', 'object', 'array', 'number', 'integer', 'string'] as const;

type Rule = (value: unknown, path: (string | number)[], issues: SchemaIssue[]) => void;

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const describe = (value: unknown): string => (typeof value === 'string' ? `'${value}'` : JSON.stringify(value));

const rule =
  (test: (value: unknown) => boolean, what: string): Rule =>
  (value, path, issues) => {
    if (!test(value)) issues.push({ path, message: `must be ${what} (got ${describe(value)})` });
  };

const anything: Rule = () => {};
const text = rule((value) => typeof value === 'string', 'a string');
const flag = rule((value) => typeof value === 'boolean', 'true or false');
const number = rule((value) => typeof value === 'number', 'a number');
const positive = rule((value) => typeof value === 'number' && value > 0, 'a number greater than 0');
const size = rule((value) => Number.isInteger(value) && (value as number) >= 0, 'a non-negative integer');
const list = rule((value) => Array.isArray(value), 'a list');

const type: Rule = (value, path, issues) => {
  const names = Array.isArray(value) ? value : [value];
  if (names.length === 0) issues.push({ path, message: 'must name at least one type' });
  for (const name of names) {
    if (!(JSON_TYPES as readonly unknown[]).includes(name)) {
      const hint = typeof name === 'string' ? didYouMean(name, JSON_TYPES) : '';
      issues.push({ path, message: `must be one of ${JSON_TYPES.join(', ')} (got ${describe(name)})${hint}` });
    }
  }
};

const nonEmptyList: Rule = (value, path, issues) => {
  if (!Array.isArray(value) || value.length === 0) issues.push({ path, message: 'must be a non-empty list' });
};

const format: Rule = (value, path, issues) => {
  if (typeof value !== 'string') return text(value, path, issues);
  if (!(value in FORMATS)) {
    const known = Object.keys(FORMATS);
    issues.push({ path, message: `unknown format '${value}'${didYouMean(value, known)}; known: ${known.join(', ')}` });
  }
};

const pattern: Rule = (value, path, issues) => {
  if (typeof value !== 'string') return text(value, path, issues);
  try {
    new RegExp(value, 'u');
  } catch (error) {
    issues.push({ path, message: `is not a valid regular expression: ${(error as Error).message}` });
  }
};

const stringList: Rule = (value, path, issues) => {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    issues.push({ path, message: 'must be a list of strings' });
  } else if (new Set(value).size !== value.length) {
    issues.push({ path, message: 'must not repeat a name' });
  }
};

const schema: Rule = (value, path, issues) => checkSchemaAt(value, path, issues);

const schemaMap: Rule = (value, path, issues) => {
  if (!isObject(value)) return void issues.push({ path, message: 'must be a mapping of names to schemas' });
  for (const [name, item] of Object.entries(value)) checkSchemaAt(item, [...path, name], issues);
};

const schemaList: Rule = (value, path, issues) => {
  if (!Array.isArray(value) || value.length === 0) {
    return void issues.push({ path, message: 'must be a non-empty list of schemas' });
  }
  value.forEach((item, index) => checkSchemaAt(item, [...path, index], issues));
};

/** Every keyword a param schema may use, with the check of its value. */
const KEYWORDS: Readonly<Record<string, Rule>> = {
  type,
  enum: nonEmptyList,
  const: anything,
  default: anything,
  examples: list,
  title: text,
  description: text,
  $comment: text,
  deprecated: flag,
  readOnly: flag,
  writeOnly: flag,
  format,
  pattern,
  minLength: size,
  maxLength: size,
  minimum: number,
  maximum: number,
  exclusiveMinimum: number,
  exclusiveMaximum: number,
  multipleOf: positive,
  items: schema,
  minItems: size,
  maxItems: size,
  uniqueItems: flag,
  properties: schemaMap,
  required: stringList,
  additionalProperties: schema,
  minProperties: size,
  maxProperties: size,
  allOf: schemaList,
  anyOf: schemaList,
  oneOf: schemaList,
  not: schema,
};

/** Names of the supported keywords. */
export const SCHEMA_KEYWORDS: readonly string[] = Object.keys(KEYWORDS);

function checkSchemaAt(value: unknown, path: (string | number)[], issues: SchemaIssue[]): void {
  if (typeof value === 'boolean') return;
  if (!isObject(value)) {
    issues.push({ path, message: `must be a schema mapping such as { type: string } (got ${describe(value)})` });
    return;
  }
  for (const [keyword, keywordValue] of Object.entries(value)) {
    const check = KEYWORDS[keyword];
    if (check === undefined) {
      const message = `unknown keyword '${keyword}'${didYouMean(keyword, SCHEMA_KEYWORDS)}`;
      issues.push({ path: [...path, keyword], message, onKey: true });
    } else {
      check(keywordValue, [...path, keyword], issues);
    }
  }
}

/** Every issue with a schema; empty when the schema can be used. */
export function checkSchema(value: unknown): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  checkSchemaAt(value, [], issues);
  return issues;
}
