import { readFile } from 'node:fs/promises';
import { Code, type JsonObject, type JsonValue, TributaryError } from '@tributary/core';
import { type ParamLocator, type ParamsFile, parseParamsFile } from './params-file.js';

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
 * @throws TributaryError `InvalidArgument` with each syntax error at `file:line:col`, or naming the
 *   file when it is not a mapping.
 */
export function parseParamsText(text: string, file: string): JsonObject {
  return parseParamsFile(text, file).params;
}

/** Where a command's params come from. */
export interface ParamSources {
  /** `--param k=v` assignments, in order. */
  assignments?: readonly string[];
  /** `--params-file` path. */
  file?: string;
}

/** A command's params, and where each one came from. */
export interface CollectedParams {
  params: JsonObject;
  /** Where a param problem's field is written in the params file; undefined for `--param` values. */
  locate: ParamLocator;
}

/**
 * Reads the params file (if any) and applies the `--param` assignments over it, keeping track of
 * where the file sets each param so that problems found later can point there.
 */
export async function gatherParams(sources: ParamSources): Promise<CollectedParams> {
  let fromFile: ParamsFile = { params: {}, locate: () => undefined };
  if (sources.file !== undefined) {
    let text: string;
    try {
      text = await readFile(sources.file, 'utf8');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new TributaryError(Code.InvalidArgument, `cannot read params file: ${message}`, { cause: error });
    }
    fromFile = parseParamsFile(text, sources.file);
  }
  const assigned = parseParamAssignments(sources.assignments ?? []);
  return {
    params: { ...fromFile.params, ...assigned },
    // A param set by --param is not the file's: its problems have no place in the file.
    locate: (field) =>
      Object.hasOwn(assigned, field.split('.')[1] ?? '') ? undefined : fromFile.locate(field),
  };
}

/** Reads the params file (if any) and applies the `--param` assignments over it. */
export async function collectParams(sources: ParamSources): Promise<JsonObject> {
  return (await gatherParams(sources)).params;
}
