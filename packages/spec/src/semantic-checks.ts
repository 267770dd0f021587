import { posix, win32 } from 'node:path';
import { isMap, isScalar, type Node } from 'yaml';
import { findCycles } from './cycles.js';
import { type MatrixValues, matrixInstanceId, matrixSize, parseInstanceRef } from './matrix.js';
import type { MapModel } from './model.js';
import { report, resolve, type SpecContext } from './positions.js';
import type { RawTask } from './read-tasks.js';
import type { NeedRef } from './read-values.js';
import { didYouMean } from './suggest.js';
import { checkTemplates } from './template-checks.js';

const needsOf = (task: RawTask): NeedRef[] => (task.fields.needs as NeedRef[] | undefined) ?? [];

/** The task a `needs` entry points at: `load[1]` points at `load`. */
const neededTask = (id: string): string => parseInstanceRef(id)?.taskId ?? id;

/** Why a `needs` entry naming one instance (`load[1]`) of a known task is wrong, if it is. */
function instanceNeedProblem(id: string, tasks: ReadonlyMap<string, RawTask>): string | undefined {
  const ref = parseInstanceRef(id);
  const target = ref === undefined ? undefined : tasks.get(ref.taskId);
  if (ref === undefined || target === undefined) return undefined;
  const matrix = target.fields.matrix as MatrixValues | undefined;
  // A matrix that failed to read was reported already; its instances cannot be checked.
  if (matrix === undefined) {
    if (target.nodes.has('matrix')) return undefined;
    if (target.nodes.has('map')) {
      return `needs '${id}', but '${ref.taskId}' is mapped: its instances exist only at run time, so write '${ref.taskId}' (its output is the list of theirs)`;
    }
    return `needs '${id}', but '${ref.taskId}' has no matrix, so it has no instances: write '${ref.taskId}'`;
  }
  const size = matrixSize(matrix);
  if (ref.index < size) return undefined;
  const last = matrixInstanceId(ref.taskId, size - 1);
  return `needs '${id}', but '${ref.taskId}' has ${size} instance${size === 1 ? '' : 's'} (${matrixInstanceId(ref.taskId, 0)} to ${last})`;
}

/**
 * Reports `needs` entries that name no task, each with a suggestion when one is close, and entries
 * naming a matrix instance that does not exist.
 */
function checkNeedsExist(ctx: SpecContext, tasks: readonly RawTask[]): void {
  const ids = tasks.map((task) => task.id);
  const byId = new Map(tasks.map((task) => [task.id, task]));
  for (const task of tasks) {
    const where = { field: `tasks.${task.id}.needs`, taskId: task.id };
    for (const need of needsOf(task)) {
      const target = neededTask(need.id);
      if (byId.has(target)) {
        const problem = instanceNeedProblem(need.id, byId);
        if (problem !== undefined) report(ctx, need.node, problem, where);
        continue;
      }
      const message = `needs '${need.id}', which is not a task in this DAG${didYouMean(target, ids)}`;
      report(ctx, need.node, message, where);
    }
  }
}

/** A matrix fans a task out into instances; a branch's output names single tasks to follow. */
function checkMatrices(ctx: SpecContext, tasks: readonly RawTask[]): void {
  for (const task of tasks) {
    if (!task.nodes.has('matrix') || task.fields.branch !== true) continue;
    report(ctx, task.nodes.get('matrix'), 'a branch task cannot have a matrix', {
      field: `tasks.${task.id}.matrix`,
      taskId: task.id,
    });
  }
}

/** The value node of `key` in a mapping node, for problems that point at one value. */
function childNode(ctx: SpecContext, node: Node | undefined, key: string): Node | undefined {
  if (!isMap(node)) return undefined;
  const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
  return resolve(ctx, pair?.value);
}

/** Why a task's `map.over` cannot read `map.upstream`, or undefined when it can. */
function mapOverProblem(
  map: MapModel,
  needs: readonly string[],
  tasks: ReadonlyMap<string, RawTask>,
): string | undefined {
  const id = map.upstream;
  const reads = `map.over reads inputs.${id}`;
  if (!needs.includes(id)) {
    const hint = tasks.has(neededTask(id))
      ? `: add '${id}' to needs`
      : `, which is not a task in this DAG${didYouMean(id, [...tasks.keys()])}`;
    return `${reads}, but '${id}' is not in needs${hint}`;
  }
  if (tasks.get(id)?.nodes.has('matrix') === true) {
    return (
      `${reads}, but '${id}' is a matrix task, run as ${id}[0], ${id}[1], ..., which has no single ` +
      `output: map over one instance's output (inputs.${id}[0]...)`
    );
  }
  return undefined;
}

/**
 * A mapped task fans out over a list in the output of one of its needs (not of a matrix task, whose
 * outputs are per instance). It cannot also have a matrix (one fan-out per task), and it cannot be a
 * branch: a branch's output names single tasks to follow, and a mapped task has many outputs.
 */
function checkMaps(ctx: SpecContext, tasks: readonly RawTask[]): void {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  for (const task of tasks) {
    const mapNode = task.nodes.get('map');
    if (!task.nodes.has('map')) continue;
    const at = { field: `tasks.${task.id}.map`, taskId: task.id };
    if (task.nodes.has('matrix')) {
      report(ctx, mapNode, 'a task cannot have both map and matrix: use one fan-out per task', at);
    }
    if (task.fields.branch === true) report(ctx, mapNode, 'a branch task cannot have a map', at);
    const map = task.fields.map as MapModel | undefined;
    // A map that failed to read was reported already.
    if (map === undefined) continue;
    const problem = mapOverProblem(
      map,
      needsOf(task).map((need) => need.id),
      byId,
    );
    if (problem === undefined) continue;
    const overNode = childNode(ctx, mapNode, 'over') ?? mapNode;
    report(ctx, overNode, problem, { field: `tasks.${task.id}.map.over`, taskId: task.id });
  }
}

/** Reports every cycle once, at the `needs` entry that closes it in its first task. */
function checkCycles(ctx: SpecContext, tasks: readonly RawTask[]): void {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const graph = new Map(
    tasks.map((task) => [
      task.id,
      needsOf(task)
        .map((need) => neededTask(need.id))
        .filter((id) => byId.has(id)),
    ]),
  );
  for (const cycle of findCycles(graph)) {
    const first = byId.get(cycle[0] ?? '') as RawTask;
    const closing = cycle.at(-2);
    const entry = needsOf(first).find((need) => neededTask(need.id) === closing);
    report(ctx, entry?.node ?? first.keyNode, `cycle: ${cycle.join(' -> ')}`, {
      field: `tasks.${first.id}.needs`,
      taskId: first.id,
    });
  }
}

/**
 * `module` as a path inside the DAG folder, normalized like the `files` list (`lib/x.ts`), or
 * undefined when it is absolute or leads out of the folder: a bundle holds only the folder.
 */
export function normalizeModulePath(module: string): string | undefined {
  if (posix.isAbsolute(module) || win32.isAbsolute(module)) return undefined;
  const normalized = posix.normalize(module.replaceAll('\\', '/'));
  return normalized === '..' || normalized.startsWith('../') ? undefined : normalized;
}

/** Reports node task modules outside the folder, or, when the folder's files are known, not among them. */
function checkModules(
  ctx: SpecContext,
  tasks: readonly RawTask[],
  files: ReadonlySet<string> | undefined,
): void {
  for (const task of tasks) {
    const module = task.fields.module;
    if (typeof module !== 'string') continue;
    const where = { field: `tasks.${task.id}.module`, taskId: task.id };
    const node = task.nodes.get('module');
    const path = normalizeModulePath(module);
    if (path === undefined) {
      const message = `module '${module}' is outside the DAG folder (use a path relative to the folder, e.g. ./task.ts)`;
      report(ctx, node, message, where);
    } else if (files !== undefined && !files.has(path)) {
      report(
        ctx,
        node,
        `module '${module}' is not a file in the DAG folder${didYouMean(path, files)}`,
        where,
      );
    }
  }
}

/**
 * A branch chooses among its direct downstream tasks, so it needs some; and a sensor's output is its
 * condition, not a choice, so a task cannot be both.
 */
function checkBranches(ctx: SpecContext, tasks: readonly RawTask[]): void {
  const hasDownstream = new Set(tasks.flatMap((task) => needsOf(task).map((need) => neededTask(need.id))));
  for (const task of tasks) {
    if (task.fields.branch !== true) continue;
    const where = { field: `tasks.${task.id}.branch`, taskId: task.id };
    const node = task.nodes.get('branch');
    if (!hasDownstream.has(task.id)) {
      report(ctx, node, 'a branch task needs downstream tasks to choose from; none needs it', where);
    }
    if (task.fields.sensor !== undefined) {
      report(ctx, node, 'a task cannot be both a branch and a sensor', where);
    }
  }
}

/**
 * The checks that need the whole DAG: needs that name no task, cycles, module paths, branches, matrices,
 * maps, templates.
 */
export function checkSemantics(
  ctx: SpecContext,
  tasks: readonly RawTask[],
  files?: ReadonlySet<string>,
): void {
  checkNeedsExist(ctx, tasks);
  checkCycles(ctx, tasks);
  checkModules(ctx, tasks, files);
  checkBranches(ctx, tasks);
  checkMatrices(ctx, tasks);
  checkMaps(ctx, tasks);
  checkTemplates(ctx, tasks);
}
