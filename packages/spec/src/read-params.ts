import type { JsonObject, JsonValue } from '@tributary/core';
import { isMap, isSeq, type Node } from 'yaml';
import { PARAM_NAME_PATTERN } from './fields.js';
import { checkParamSchema, type SchemaIssue } from './param-schema-check.js';
import {
  keyNodeOf,
  type MapEntry,
  mapEntries,
  nodeAtPath,
  report,
  resolve,
  type SpecContext,
} from './positions.js';
import { describeNode } from './read-values.js';

/** Reports duplicate keys anywhere inside a param's schema (the structure walk does not go there). */
function checkDuplicateKeys(ctx: SpecContext, node: Node | undefined, field: string): void {
  if (isMap(node)) {
    for (const entry of mapEntries(ctx, node, 'key', { field })) checkDuplicateKeys(ctx, entry.value, field);
  } else if (isSeq(node)) {
    for (const item of node.items) checkDuplicateKeys(ctx, resolve(ctx, item), field);
  }
}

function pathText(path: readonly (string | number)[]): string {
  return path.length === 0 ? '' : `'${path.join('.')}' `;
}

function reportIssue(ctx: SpecContext, name: string, schemaNode: Node, issue: SchemaIssue): void {
  const where = { field: `params.${name}` };
  if (issue.onKey === true) {
    const parent = nodeAtPath(ctx, schemaNode, issue.path.slice(0, -1));
    const keyNode = keyNodeOf(ctx, parent, String(issue.path.at(-1)));
    const inside = issue.path.length > 1 ? ` in '${issue.path.slice(0, -1).join('.')}'` : '';
    report(
      ctx,
      keyNode ?? parent,
      `invalid JSON Schema for param '${name}': ${issue.message}${inside}`,
      where,
    );
    return;
  }
  const node = nodeAtPath(ctx, schemaNode, issue.path);
  report(
    ctx,
    node,
    `invalid JSON Schema for param '${name}': ${pathText(issue.path)}${issue.message}`,
    where,
  );
}

/** Reads one param's schema; undefined after reporting when it is not a usable schema. */
function readParam(ctx: SpecContext, entry: MapEntry): JsonObject | undefined {
  const { key: name, keyNode, value } = entry;
  const where = { field: `params.${name}` };
  if (!new RegExp(PARAM_NAME_PATTERN).test(name)) {
    report(
      ctx,
      keyNode,
      `invalid param name '${name}' (use letters, digits and _, not starting with a digit)`,
      where,
    );
  }
  if (!isMap(value)) {
    const message = `a param must be a JSON Schema mapping such as { type: string } (got ${describeNode(value)})`;
    report(ctx, value ?? keyNode, message, where);
    return undefined;
  }
  const before = ctx.problems.length;
  checkDuplicateKeys(ctx, value, where.field);
  let schema: JsonObject;
  try {
    schema = value.toJS(ctx.doc) as JsonObject;
  } catch (error) {
    // yaml throws when aliases expand too far (a "billion laughs" document): a problem, not a crash.
    report(ctx, value, `cannot read the schema of param '${name}': ${(error as Error).message}`, where);
    return undefined;
  }
  const { issues, defaultIssues } = checkParamSchema(name, schema);
  for (const issue of issues) reportIssue(ctx, name, value, issue);
  for (const issue of defaultIssues) {
    const node = nodeAtPath(ctx, value, ['default', ...issue.path]);
    const message = `the default of param '${name}' does not match its schema: ${pathText(issue.path)}${issue.message}`;
    report(ctx, node, message, where);
  }
  return ctx.problems.length === before ? schema : undefined;
}

/**
 * Reads `params` into the JSON Schema of a run's params: an object whose properties are the
 * params, each required unless it has a default, and no others (so a misspelt param is an error).
 */
export function readParams(ctx: SpecContext, entry: MapEntry | undefined): JsonObject {
  const properties: Record<string, JsonValue> = {};
  const required: string[] = [];
  const node = entry?.value;
  if (entry !== undefined && node !== undefined && describeNode(node) !== 'nothing') {
    if (!isMap(node)) {
      report(ctx, node, `must be a mapping of param names to JSON Schemas (got ${describeNode(node)})`, {
        field: 'params',
      });
    }
    for (const param of mapEntries(ctx, node, 'param', { field: 'params' })) {
      const schema = readParam(ctx, param);
      if (schema === undefined) continue;
      properties[param.key] = schema;
      if (!('default' in schema)) required.push(param.key);
    }
  }
  return { type: 'object', properties, required, additionalProperties: false };
}
