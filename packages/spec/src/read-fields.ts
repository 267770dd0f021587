import type { Node } from 'yaml';
import type { FieldTable } from './fields.js';
import { type MapEntry, mapEntries, report, type SpecContext } from './positions.js';
import { didYouMean } from './suggest.js';

/** How to read the fields of one mapping in the spec. */
export interface FieldsOptions {
  /** The mapping's dotted path (`tasks.extract`, `defaults`); empty at the top level. */
  prefix: string;
  taskId?: string;
  /** The fields allowed here. */
  table: FieldTable;
  /** Fields that must be present; by default those the table marks required. */
  required?: readonly string[];
  /** Where a missing field is reported: the key that owns the mapping, e.g. the task id. */
  owner: Node;
  /** A better message for an unknown field than the generic one, when there is one. */
  explainUnknown?: (key: string) => string | undefined;
}

/** `prefix.name`, or `name` at the top level. */
export function joinField(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

/**
 * The entries of a mapping that are known fields, by name. Reports duplicate keys, unknown fields
 * (at the key, with a suggestion for typos) and missing required fields (at the owner's key).
 */
export function readFields(ctx: SpecContext, node: Node, options: FieldsOptions): Map<string, MapEntry> {
  const { prefix, taskId, table } = options;
  const at = (name: string) =>
    taskId === undefined ? { field: joinField(prefix, name) } : { field: joinField(prefix, name), taskId };
  const known = new Map<string, MapEntry>();
  const base = prefix === '' ? {} : { field: prefix };
  for (const entry of mapEntries(ctx, node, 'key', taskId === undefined ? base : { ...base, taskId })) {
    if (Object.hasOwn(table, entry.key)) {
      known.set(entry.key, entry);
      continue;
    }
    const message =
      options.explainUnknown?.(entry.key) ??
      `unknown field '${entry.key}'${didYouMean(entry.key, Object.keys(table))}`;
    report(ctx, entry.keyNode, message, at(entry.key));
  }
  const required = options.required ?? Object.keys(table).filter((name) => table[name]?.required === true);
  for (const name of required) {
    if (!known.has(name)) report(ctx, options.owner, `missing required field '${name}'`, at(name));
  }
  return known;
}
