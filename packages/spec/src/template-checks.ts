import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { report, resolve, type SpecContext, type Where } from './positions.js';
import type { RawTask } from './read-tasks.js';
import type { NeedRef } from './read-values.js';
import { didYouMean } from './suggest.js';
import {
  findMisplacedShellTemplates,
  findMisplacedSqlTemplates,
  type MisplacedTemplate,
} from './template-contexts.js';
import {
  parseTemplate,
  TEMPLATE_HINT,
  TEMPLATE_ROOTS,
  type TemplateName,
  type TemplatePart,
  type TemplateRoot,
} from './templates.js';

/** Finds templates a field's language cannot take where they stand (the shell or SQL scanner). */
type MisplacedScan = (parts: readonly TemplatePart[]) => MisplacedTemplate[];

/** A string-valued entry of a mapping, with its value node for positions. */
interface StringEntry {
  key: string;
  value: string;
  node: Node;
}

/** What the names in one field may refer to. */
interface NameScope {
  params: ReadonlySet<string>;
  taskIds: readonly string[];
  /** The upstream task ids whose outputs `inputs.<id>` may read; undefined in `defaults`. */
  needs: readonly string[] | undefined;
  /** Tasks with a `matrix`: their outputs exist only per instance, so templates cannot read them. */
  matrixTasks: ReadonlySet<string>;
  /** The task's matrix keys; undefined when it has no matrix, and in `defaults`. */
  matrixKeys: ReadonlySet<string> | undefined;
  /** Whether the task has a `map` (so `map.index` and `map.item` have values); undefined in `defaults`. */
  mapped: boolean | undefined;
}

const ROOTS = Object.keys(TEMPLATE_ROOTS) as TemplateRoot[];

function childOf(ctx: SpecContext, node: Node | undefined, key: string): Node | undefined {
  if (!isMap(node)) return undefined;
  const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
  return resolve(ctx, pair?.value);
}

/** The string values of a mapping, first of duplicate keys only (the readers report the others). */
function stringEntries(ctx: SpecContext, node: Node | undefined): StringEntry[] {
  if (!isMap(node)) return [];
  const entries = new Map<string, StringEntry>();
  for (const pair of node.items) {
    if (!isScalar(pair.key)) continue;
    const key = String(pair.key.value);
    const value = resolve(ctx, pair.value);
    if (entries.has(key) || !isScalar(value) || typeof value.value !== 'string') continue;
    entries.set(key, { key, value: value.value, node: value });
  }
  return [...entries.values()];
}

/** The keys of a mapping, whatever their values. */
function keysOf(node: Node | undefined): Set<string> {
  if (!isMap(node)) return new Set();
  return new Set(node.items.flatMap((pair) => (isScalar(pair.key) ? [String(pair.key.value)] : [])));
}

/** Names under `params`, read from the spec itself so that a param whose schema is wrong still counts. */
function paramNames(ctx: SpecContext): Set<string> {
  return keysOf(childOf(ctx, ctx.doc.contents ?? undefined, 'params'));
}

/** The keys of a task's `matrix` as written (so a matrix with a bad value still counts), if it has one. */
function matrixKeysOf(task: RawTask): Set<string> | undefined {
  return task.nodes.has('matrix') ? keysOf(task.nodes.get('matrix')) : undefined;
}

const needsOf = (task: RawTask): string[] =>
  ((task.fields.needs as NeedRef[] | undefined) ?? []).map((need) => need.id);

/** `a`, `a or b`, `a, b or c`. */
function listOfChoices(choices: readonly string[]): string {
  const last = choices.at(-1) ?? '';
  return choices.length <= 1 ? last : `${choices.slice(0, -1).join(', ')} or ${last}`;
}

/** Why `name` names nothing under a fixed root (`run`, `task`, `attempt`), or undefined when it is fine. */
function fixedRootProblem(name: TemplateName, root: 'run' | 'task' | 'attempt'): string | undefined {
  const fields: readonly string[] = TEMPLATE_ROOTS[root];
  const [, field, ...rest] = name.path;
  if (root === 'attempt') {
    return field === undefined ? undefined : `${name.source}: attempt is a number and has no fields`;
  }
  const choices = listOfChoices(fields.map((choice) => `${root}.${choice}`));
  if (typeof field !== 'string') return `${name.source}: use ${choices}`;
  if (!fields.includes(field)) {
    return `unknown name '${root}.${field}' in ${name.source}${didYouMean(field, fields)} (use ${choices})`;
  }
  if (rest.length > 0) return `${name.source}: ${root}.${field} is a string and has no fields`;
  return undefined;
}

/** Why `inputs.<id>` cannot be read from this field, or undefined when it can. */
function inputProblem(name: TemplateName, id: string, scope: NameScope, taskId: string | undefined): string {
  const known = scope.taskIds.includes(id);
  if (!known) {
    const candidates = scope.needs !== undefined && scope.needs.length > 0 ? scope.needs : scope.taskIds;
    return `${name.source}: '${id}' is not a task in this DAG${didYouMean(id, candidates)}`;
  }
  const reads = `${name.source} reads the output of '${id}'`;
  return `${reads}, which task '${taskId}' does not need: add '${id}' to its needs`;
}

/** Why `inputs.<id>` of a matrix task cannot be templated: the id names no single output. */
function matrixInputProblem(name: TemplateName, id: string): string {
  return (
    `${name.source}: '${id}' is a matrix task, run as ${id}[0], ${id}[1], ..., and templates cannot ` +
    `read their outputs; read them in the task's code, as ctx.inputs['${id}[0]'] (node) or from the ` +
    'TRIBUTARY_INPUTS JSON (shell)'
  );
}

/** Why `matrix.<key>` names nothing in a task with `keys` (undefined: no matrix), or undefined. */
function matrixProblem(
  name: TemplateName,
  keys: ReadonlySet<string> | undefined,
  taskId: string | undefined,
): string | undefined {
  const [, key, ...rest] = name.path;
  const task = taskId === undefined ? 'this task' : `task '${taskId}'`;
  if (keys === undefined) return `${name.source}: ${task} has no matrix, so matrix names nothing`;
  if (typeof key !== 'string') return `${name.source}: name a key, as matrix.<key>`;
  if (!keys.has(key)) {
    const known = [...keys].join(', ');
    return `unknown matrix key '${key}' in ${name.source}${didYouMean(key, keys)} (${task} has: ${known})`;
  }
  if (rest.length > 0) return `${name.source}: matrix.${key} is a single value and has no fields`;
  return undefined;
}

/**
 * Why `map.<field>` names nothing: in a task without `map` (`mapped` false), or a field other than
 * `index` (a number) and `item` (the element, of any shape). Undefined when it is fine.
 */
function mapProblem(
  name: TemplateName,
  mapped: boolean | undefined,
  taskId: string | undefined,
): string | undefined {
  const [, field, ...rest] = name.path;
  const task = taskId === undefined ? 'this task' : `task '${taskId}'`;
  if (mapped === false) return `${name.source}: ${task} has no map, so map names nothing`;
  const fields: readonly string[] = TEMPLATE_ROOTS.map;
  if (field === 'item') return undefined;
  if (field === 'index') {
    return rest.length > 0 ? `${name.source}: map.index is a number and has no fields` : undefined;
  }
  if (typeof field !== 'string') return `${name.source}: use map.index or map.item`;
  return `unknown name 'map.${field}' in ${name.source}${didYouMean(field, fields)} (use map.index or map.item)`;
}

/** Every problem with one name in a field whose task (if any) has `scope`. */
function nameProblem(name: TemplateName, scope: NameScope, taskId: string | undefined): string | undefined {
  const [root, second] = name.path;
  if (typeof root !== 'string' || !(ROOTS as string[]).includes(root)) {
    const word = String(root);
    return `unknown name '${word}' in ${name.source}${didYouMean(word, ROOTS)} (${TEMPLATE_HINT})`;
  }
  if (root === 'run' || root === 'task' || root === 'attempt') return fixedRootProblem(name, root);
  // In `defaults`, `mapped` is undefined: each task that inherits the value is checked (checkDefaultsEnv).
  if (root === 'map') return mapProblem(name, scope.mapped, taskId);
  // In `defaults`, matrix names are checked against each task that inherits the value (checkDefaultsEnv).
  if (root === 'matrix')
    return scope.needs === undefined ? undefined : matrixProblem(name, scope.matrixKeys, taskId);
  if (typeof second !== 'string') {
    const what = root === 'params' ? 'params.<name>' : 'inputs.<task>';
    return `${name.source}: name what to read, as ${what}`;
  }
  if (root === 'params') {
    if (scope.params.has(second)) return undefined;
    const none = scope.params.size === 0 ? ' (it declares no params)' : '';
    return `${name.source}: '${second}' is not a param of this DAG${didYouMean(second, scope.params)}${none}`;
  }
  if (scope.matrixTasks.has(second)) return matrixInputProblem(name, second);
  // In `defaults`, inputs are checked against each task that inherits the value (checkDefaultsEnv).
  if (scope.needs === undefined || scope.needs.includes(second)) return undefined;
  return inputProblem(name, second, scope, taskId);
}

/**
 * Reports every problem with the templates of one field value: syntax, names, and with `misplaced`
 * templates its language cannot take where they stand (a shell command's quotes, comments and
 * here-documents; a SQL statement's literals and comments). Returns the names, for callers that check
 * more.
 */
function checkValue(
  ctx: SpecContext,
  value: string,
  node: Node,
  where: Where,
  scope: NameScope,
  misplaced?: MisplacedScan,
): TemplateName[] {
  if (!value.includes('{{')) return [];
  const { parts, errors } = parseTemplate(value);
  for (const error of errors) report(ctx, node, error.message, where);
  const names = parts.filter((part): part is TemplateName => part.kind === 'name');
  for (const name of names) {
    const problem = nameProblem(name, scope, where.taskId);
    if (problem !== undefined) report(ctx, node, problem, where);
  }
  for (const template of misplaced?.(parts) ?? []) report(ctx, node, template.message, where);
  return names;
}

/** A `matrix.<key>` in `defaults.env.<name>` must name a key of every task that inherits the value. */
function checkInheritedMatrix(
  ctx: SpecContext,
  entry: StringEntry,
  name: TemplateName,
  heirs: readonly RawTask[],
): void {
  const field = `defaults.env.${entry.key}`;
  const [, key] = name.path;
  if (typeof key !== 'string') {
    report(ctx, entry.node, `${name.source}: name a key, as matrix.<key>`, { field });
    return;
  }
  const missing = heirs.filter((task) => !matrixKeysOf(task)?.has(key)).map((task) => `'${task.id}'`);
  if (missing.length === 0) return;
  const message =
    `${name.source} reads matrix key '${key}', which ${missing.join(', ')} (inheriting ${field}) ` +
    `do not have: give them that matrix key, or set env.${entry.key} on them`;
  report(ctx, entry.node, message, { field });
}

/** A `map.*` in `defaults.env.<name>` needs every task that inherits the value to have a `map`. */
function checkInheritedMap(
  ctx: SpecContext,
  entry: StringEntry,
  name: TemplateName,
  heirs: readonly RawTask[],
): void {
  const missing = heirs.filter((task) => !task.nodes.has('map')).map((task) => `'${task.id}'`);
  if (missing.length === 0) return;
  const field = `defaults.env.${entry.key}`;
  const message =
    `${name.source} reads the task's map, which ${missing.join(', ')} (inheriting ${field}) ` +
    `do not have: give them a map, or set env.${entry.key} on them`;
  report(ctx, entry.node, message, { field });
}

/**
 * `defaults.env` values are templated for each task that inherits them, so `inputs.<id>` there must be
 * among the needs of every such task.
 */
function checkDefaultsEnv(ctx: SpecContext, tasks: readonly RawTask[], scope: NameScope): void {
  const defaults = childOf(ctx, ctx.doc.contents ?? undefined, 'defaults');
  for (const entry of stringEntries(ctx, childOf(ctx, defaults, 'env'))) {
    const field = `defaults.env.${entry.key}`;
    const names = checkValue(ctx, entry.value, entry.node, { field }, scope);
    // sql and dag tasks have no env, so they inherit nothing (build-model leaves their env empty).
    const heirs = tasks.filter(
      (task) =>
        task.fields.kind !== 'sql' &&
        task.fields.kind !== 'dag' &&
        !keysOf(task.nodes.get('env')).has(entry.key),
    );
    for (const name of names) {
      const [root, id] = name.path;
      if (root === 'matrix') {
        checkInheritedMatrix(ctx, entry, name, heirs);
        continue;
      }
      if (root === 'map') {
        checkInheritedMap(ctx, entry, name, heirs);
        continue;
      }
      if (root !== 'inputs' || typeof id !== 'string' || scope.matrixTasks.has(id)) continue;
      if (!scope.taskIds.includes(id)) {
        report(ctx, entry.node, inputProblem(name, id, scope, undefined), { field });
        continue;
      }
      const missing = heirs.filter((task) => !needsOf(task).includes(id)).map((task) => `'${task.id}'`);
      if (missing.length === 0) continue;
      const message =
        `${name.source} reads the output of '${id}', which ${missing.join(', ')} (inheriting ${field}) ` +
        `do not need: add '${id}' to their needs, or set env.${entry.key} on them`;
      report(ctx, entry.node, message, { field });
    }
  }
}

/** The templated field of each kind that is not `env`, and how its templates must stand. */
const TEMPLATED_FIELDS: Readonly<Record<'shell' | 'sql', { field: string; misplaced: MisplacedScan }>> = {
  shell: { field: 'command', misplaced: findMisplacedShellTemplates },
  sql: { field: 'statement', misplaced: findMisplacedSqlTemplates },
};

/**
 * Checks the templates of every templatable field: each shell task's `command`, each sql task's
 * `statement`, the `env` values of every task and of `defaults`, and each dag task's string `params`. Names must exist: declared params,
 * the outputs of tasks in `needs` (not of matrix tasks, whose outputs are per instance), `run.id`,
 * `run.logical_date`, `run.data_interval_start`, `run.data_interval_end`, `task.id`, `attempt`, in a matrix task `matrix.<key>` of its own keys, and in a
 * mapped task `map.index` and `map.item`. `inputs.<id>` of a mapped task is the list of its instances'
 * outputs.
 */
export function checkTemplates(ctx: SpecContext, tasks: readonly RawTask[]): void {
  const params = paramNames(ctx);
  const taskIds = tasks.map((task) => task.id);
  const matrixTasks = new Set(tasks.filter((task) => task.nodes.has('matrix')).map((task) => task.id));
  for (const task of tasks) {
    const scope: NameScope = {
      params,
      taskIds,
      needs: needsOf(task),
      matrixTasks,
      matrixKeys: matrixKeysOf(task),
      mapped: task.nodes.has('map'),
    };
    const { kind } = task.fields;
    const templated = kind === 'shell' || kind === 'sql' ? TEMPLATED_FIELDS[kind] : undefined;
    const node = templated === undefined ? undefined : task.nodes.get(templated.field);
    if (templated !== undefined && isScalar(node) && typeof node.value === 'string') {
      const where = { field: `tasks.${task.id}.${templated.field}`, taskId: task.id };
      checkValue(ctx, node.value, node, where, scope, templated.misplaced);
    }
    for (const entry of stringEntries(ctx, task.nodes.get('env'))) {
      const where = { field: `tasks.${task.id}.env.${entry.key}`, taskId: task.id };
      checkValue(ctx, entry.value, entry.node, where, scope);
    }
    // A container task's command and args run without a shell: each string is rendered like an env value.
    for (const field of kind === 'container' ? ['command', 'args'] : []) {
      const list = task.nodes.get(field);
      if (!isSeq(list)) continue;
      list.items.forEach((item, index) => {
        const node = resolve(ctx, item);
        if (!isScalar(node) || typeof node.value !== 'string') return;
        const where = { field: `tasks.${task.id}.${field}[${index}]`, taskId: task.id };
        checkValue(ctx, node.value, node, where, scope);
      });
    }
    // A dag task's top-level string params are rendered like env values (render-templates in executors).
    const paramsNode = kind === 'dag' ? task.nodes.get('params') : undefined;
    for (const entry of stringEntries(ctx, paramsNode)) {
      const where = { field: `tasks.${task.id}.params.${entry.key}`, taskId: task.id };
      checkValue(ctx, entry.value, entry.node, where, scope);
    }
  }
  checkDefaultsEnv(ctx, tasks, {
    params,
    taskIds,
    needs: undefined,
    matrixTasks,
    matrixKeys: undefined,
    mapped: undefined,
  });
}
