import { readFile } from 'node:fs/promises';
import { Code, type JsonObject, type JsonValue, TributaryError } from '@tributary/core';
import { parse as parseYaml } from 'yaml';

/**
 * Parses one `--param k=v` value: JSON when it parses (`3`, `true`, `{"a":1}`, `"quoted"`), otherwise
 * the text as it is, so that `--param name=Ada` needs no quoting.
 */
export function parseParamValue(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/**
 * Turns `--param` assignments into an object; later assignments of the same key win.
 *
 * @throws TributaryError `InvalidArgument` naming the assignment when it has no `=` or no key.
 */
export function parseParamAssignments(assignments: readonly string[]): JsonObject {
  const params: JsonObject = {};
  for (const assignment of assignments) {
    const equals = assignment.indexOf('=');
    if (equals <= 0) {
      throw new TributaryError(Code.InvalidArgument, `--param '${assignment}' must look like key=value`, {
        problems: [{ field: '--param', message: `'${assignment}' must look like key=value` }],
      });
    }
    params[assignment.slice(0, equals)] = parseParamValue(assignment.slice(equals + 1));
  }
  return params;
}

/**
 * Parses the text of a params file: a YAML (or JSON, which is YAML) mapping.
 *
 * @throws TributaryError `InvalidArgument` naming the file when it is not a mapping.
 */
export function parseParamsText(text: string, file: string): JsonObject {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new TributaryError(Code.InvalidArgument, `${file}: ${message}`, { cause: error });
  }
  // An empty file means no params.
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TributaryError(Code.InvalidArgument, `${file}: params must be a mapping of names to values`);
  }
  return value as JsonObject;
}

/** Where a command's params come from. */
export interface ParamSources {
  /** `--param k=v` assignments, in order. */
  assignments?: readonly string[];
  /** `--params-file` path. */
  file?: string;
}

/** Reads the params file (if any) and applies the `--param` assignments over it. */
export async function collectParams(sources: ParamSources): Promise<JsonObject> {
  let params: JsonObject = {};
  if (sources.file !== undefined) {
    let text: string;
    try {
      text = await readFile(sources.file, 'utf8');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new TributaryError(Code.InvalidArgument, `cannot read params file: ${message}`, { cause: error });
    }
    params = parseParamsText(text, sources.file);
  }
  return { ...params, ...parseParamAssignments(sources.assignments ?? []) };
}
