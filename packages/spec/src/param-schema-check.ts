import type { JsonObject, JsonValue } from '@tributary/core';
import { compileSchema, knownFormats, knownKeywords, sharedAjv } from './ajv-instance.js';
import { type AjvIssue, describeAjvErrors, pointerPath } from './ajv-issues.js';
import { didYouMean } from './suggest.js';

/** One thing wrong with a param's schema; `path` leads from the schema root to the keyword. */
export interface SchemaIssue {
  path: (string | number)[];
  message: string;
  /** Whether the issue is about the key at `path` (an unknown keyword) rather than its value. */
  onKey?: boolean;
}

/** What {@link checkParamSchema} found. */
export interface ParamSchemaCheck {
  /** Why the schema is not valid JSON Schema, or cannot be compiled in strict mode. */
  issues: SchemaIssue[];
  /** How the param's `default` fails the rest of its schema; paths lead into the default. */
  defaultIssues: AjvIssue[];
}

type Path = (string | number)[];

/** Keywords whose value maps names to schemas: their keys are names, never keywords. */
const NAME_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependencies']);
/** Keywords whose value is data, not schema. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples']);

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const show = (value: unknown): string => (typeof value === 'string' ? `'${value}'` : JSON.stringify(value));

function valueAt(value: unknown, path: Path): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/**
 * Where an unknown keyword is, since ajv's strict-mode error names the keyword but not its place:
 * the first schema (not a name in `properties` and the like, not data) that has it as a key, with
 * `withValue` as its value when given.
 */
function findKeyword(
  value: unknown,
  keyword: string,
  path: Path = [],
  isNameMap = false,
  withValue?: unknown,
): Path | undefined {
  const children: [string | number, unknown][] = Array.isArray(value)
    ? [...value.entries()]
    : isObject(value)
      ? Object.entries(value)
      : [];
  if (
    !isNameMap &&
    isObject(value) &&
    Object.hasOwn(value, keyword) &&
    (withValue === undefined || value[keyword] === withValue)
  )
    return [...path, keyword];
  for (const [key, child] of children) {
    if (!isNameMap && typeof key === 'string' && DATA_KEYWORDS.has(key)) continue;
    const nameMap = !isNameMap && typeof key === 'string' && NAME_MAPS.has(key);
    const found = findKeyword(child, keyword, [...path, key], nameMap, withValue);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Why the schema fails the JSON Schema meta-schema, each issue with the offending value. */
function metaSchemaIssues(schema: JsonObject): SchemaIssue[] {
  const ajv = sharedAjv();
  if (ajv.validateSchema(schema) === true) return [];
  return describeAjvErrors(ajv.errors).map((issue) => {
    const value = valueAt(schema, issue.path);
    if (value === undefined) return { path: issue.path, message: issue.message };
    const strings = (issue.allowed ?? []).filter((item): item is string => typeof item === 'string');
    const hint = typeof value === 'string' ? didYouMean(value, strings) : '';
    return { path: issue.path, message: `${issue.message} (got ${show(value)})${hint}` };
  });
}

/** The path inside the param of a schema pointer (`#/properties/<name>/items`) ajv put in a message. */
function pathInParam(name: string, pointer: string): Path {
  const path = pointerPath(pointer.slice(1));
  return path[0] === 'properties' && String(path[1]) === name ? path.slice(2) : [];
}

/** Turns what `ajv.compile` threw into an issue, placed at the keyword when the message says where. */
function compileIssue(name: string, schema: JsonObject, error: unknown): SchemaIssue {
  const message = error instanceof Error ? error.message : String(error);
  const keyword = /^strict mode: unknown keyword: "(.+)"$/.exec(message)?.[1];
  if (keyword !== undefined) {
    const path = findKeyword(schema, keyword);
    const text = `unknown keyword '${keyword}'${didYouMean(keyword, knownKeywords())}`;
    return path === undefined ? { path: [], message: text } : { path, message: text, onKey: true };
  }
  const format = /^unknown format "(.+)" ignored in schema at path "(.*)"$/.exec(message);
  if (format !== null) {
    const [, formatName = '', pointer = ''] = format;
    const formats = knownFormats();
    return {
      path: [...pathInParam(name, pointer), 'format'],
      message: `unknown format '${formatName}'${didYouMean(formatName, formats)}; known: ${formats.join(', ')}`,
    };
  }
  if (error instanceof Error && 'missingRef' in error && message.includes('reference #')) {
    // The param is compiled as a property of the params object, so '#' is that object, not the param.
    return { path: [], message: `${message} (references into a param's own schema are not supported)` };
  }
  // V8's message names the pattern (`Invalid regular expression: /(/u: Unterminated group`), not its place.
  const regex = /^Invalid regular expression: \/(.*)\/[a-z]*: (.*)$/s.exec(message);
  const patternPath = regex === null ? undefined : findKeyword(schema, 'pattern', [], false, regex[1]);
  if (regex !== null && patternPath !== undefined) {
    return { path: patternPath, message: `is not a valid regular expression: ${regex[2]}` };
  }
  const at = / at "(#[^"]*)"/.exec(message);
  if (at === null) return { path: [], message };
  return { path: pathInParam(name, at[1] ?? '#'), message: message.replace(at[0], '') };
}

/**
 * Checks that a param's schema is valid JSON Schema (draft-07) that ajv compiles in strict mode
 * (so a typo such as `minimun` or an unknown format is an error rather than ignored), then that its
 * `default`, if any, matches the rest of the schema. The param is compiled as a property of an
 * object schema, exactly as it sits in the DAG's params schema.
 */
export function checkParamSchema(name: string, schema: JsonObject): ParamSchemaCheck {
  const issues = metaSchemaIssues(schema);
  if (issues.length > 0) return { issues, defaultIssues: [] };
  const { default: fallback, ...rest } = schema;
  let validate: ReturnType<typeof compileSchema>;
  try {
    validate = compileSchema({ type: 'object', properties: { [name]: rest } });
  } catch (error) {
    return { issues: [compileIssue(name, schema, error)], defaultIssues: [] };
  }
  if (!('default' in schema)) return { issues: [], defaultIssues: [] };
  // A copy: useDefaults fills nested defaults into the value it validates.
  const value: Record<string, JsonValue | undefined> = { [name]: structuredClone(fallback) };
  validate(value);
  const defaultIssues = describeAjvErrors(validate.errors).map((issue) => ({
    ...issue,
    path: issue.path.slice(1),
  }));
  return { issues: [], defaultIssues };
}
