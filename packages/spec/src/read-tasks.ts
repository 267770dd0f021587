import { isMap, isScalar, type Node } from 'yaml';
import { ANY_TASK_FIELDS, DEFAULTS_FIELDS, type FieldTable, TASK_FIELDS, TASK_ID_PATTERN } from './fields.js';
import { TASK_KINDS } from './model.js';
import { type MapEntry, mapEntries, report, resolve, type SpecContext } from './positions.js';
import { readFields } from './read-fields.js';
import { describeNode, type FieldValue, readValue, scalarOf } from './read-values.js';

/** The fields of a task or of `defaults` as read, by YAML field name (`retry_delay` in ms). */
export type RawFields = Record<string, FieldValue>;

/** A task as read from the spec, before defaults are applied. */
export interface RawTask {
  id: string;
  keyNode: Node;
  fields: RawFields;
  /** Value nodes of the fields, for semantic problems that point at a value (`module`). */
  nodes: Map<string, Node | undefined>;
}

/** Reads every field in `entries` with the reader of its type; fields that failed are left out. */
function readAll(
  ctx: SpecContext,
  entries: Map<string, MapEntry>,
  table: FieldTable,
  prefix: string,
  taskId?: string,
): RawFields {
  const fields: RawFields = {};
  for (const [name, entry] of entries) {
    const spec = table[name];
    if (spec === undefined) continue;
    const where =
      taskId === undefined ? { field: `${prefix}.${name}` } : { field: `${prefix}.${name}`, taskId };
    const value = readValue(ctx, spec.type, entry.value, where);
    if (value !== undefined) fields[name] = value;
  }
  return fields;
}

function kindsWith(field: string): string {
  const kinds = TASK_KINDS.filter((kind) => Object.hasOwn(TASK_FIELDS[kind], field));
  const last = kinds.pop();
  return kinds.length === 0 ? String(last) : `${kinds.join(', ')} and ${last}`;
}

function readTask(ctx: SpecContext, id: string, keyNode: Node, node: Node | undefined): RawTask {
  const prefix = `tasks.${id}`;
  if (!isMap(node)) {
    report(
      ctx,
      node ?? keyNode,
      `a task must be a mapping with at least 'kind' (got ${describeNode(node)})`,
      {
        field: prefix,
        taskId: id,
      },
    );
    // Kept, without fields, so that tasks which need it do not also get "not a task" problems.
    return { id, keyNode, fields: {}, nodes: new Map() };
  }
  const kindPair = node.items.find((pair) => isScalar(pair.key) && pair.key.value === 'kind');
  const kindValue = scalarOf(resolve(ctx, kindPair?.value));
  const kind = TASK_KINDS.find((name) => name === kindValue);
  // With a known kind, fields of other kinds are unknown here; without one, check only for typos.
  const table = kind === undefined ? ANY_TASK_FIELDS : TASK_FIELDS[kind];
  const entries = readFields(ctx, node, {
    prefix,
    taskId: id,
    table,
    owner: keyNode,
    ...(kind === undefined ? { required: ['kind'] } : {}),
    explainUnknown: (key) =>
      Object.hasOwn(ANY_TASK_FIELDS, key)
        ? `unknown field '${key}' for a ${kind} task (only ${kindsWith(key)} tasks have it)`
        : undefined,
  });
  const nodes = new Map([...entries].map(([name, entry]) => [name, entry.value]));
  return { id, keyNode, fields: readAll(ctx, entries, table, prefix, id), nodes };
}

/** Reads `tasks`: a mapping of task ids to tasks, in declaration order. */
export function readTasks(ctx: SpecContext, entry: MapEntry): RawTask[] {
  const node = entry.value;
  if (!isMap(node)) {
    report(ctx, node ?? entry.keyNode, `must be a mapping of task ids to tasks (got ${describeNode(node)})`, {
      field: 'tasks',
    });
    return [];
  }
  const entries = mapEntries(ctx, node, 'task id', { field: 'tasks' }, true);
  if (entries.length === 0) report(ctx, entry.keyNode, 'a DAG needs at least one task', { field: 'tasks' });
  const tasks: RawTask[] = [];
  for (const { key: id, keyNode, value } of entries) {
    if (!new RegExp(TASK_ID_PATTERN).test(id)) {
      const message = `invalid task id '${id}' (use letters, digits, _ and -, starting with a letter)`;
      report(ctx, keyNode, message, { field: `tasks.${id}`, taskId: id });
    }
    tasks.push(readTask(ctx, id, keyNode, value));
  }
  return tasks;
}

/** Reads `defaults`: task fields that apply to every task that does not set them. */
export function readDefaults(ctx: SpecContext, entry: MapEntry): RawFields {
  const node = entry.value;
  if (node === undefined || describeNode(node) === 'nothing') return {};
  if (!isMap(node)) {
    report(ctx, node, `must be a mapping of task fields (got ${describeNode(node)})`, { field: 'defaults' });
    return {};
  }
  const entries = readFields(ctx, node, {
    prefix: 'defaults',
    table: DEFAULTS_FIELDS,
    owner: entry.keyNode,
    explainUnknown: (key) =>
      Object.hasOwn(ANY_TASK_FIELDS, key)
        ? `unknown field '${key}' (it cannot be a default; set it on each task)`
        : undefined,
  });
  return readAll(ctx, entries, DEFAULTS_FIELDS, 'defaults');
}
