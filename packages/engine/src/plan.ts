import { Code, formatProblem, type Problem, TributaryError } from '@tributary/core';
import type { PlanDag, PlanTask } from './types.js';

/**
 * A DAG indexed once for scheduling: adjacency lists both ways, roots and a topological order. Build it
 * with {@link createPlan} and reuse it for every event of every run of that DAG version.
 */
export interface Plan {
  readonly dag: PlanDag;
  /** Every task id in a topological order (upstream before downstream), declaration order among peers. */
  readonly order: readonly string[];
  /** Whether the DAG has a task with this id. */
  has(id: string): boolean;
  /** The task with this id. Throws `TributaryError(Code.NotFound)` for an unknown id. */
  task(id: string): PlanTask;
  /** The task's upstream ids (its `needs`, deduplicated). */
  upstream(id: string): readonly string[];
  /** The ids of the tasks that need this one, in declaration order. */
  downstream(id: string): readonly string[];
  /** The tasks with no upstream, in declaration order. */
  readonly roots: readonly string[];
}

interface Node {
  task: PlanTask;
  upstream: string[];
  downstream: string[];
}

/**
 * Indexes a DAG once (adjacency lists). Throws `TributaryError(Code.InvalidArgument)` naming the task for an
 * unknown `needs` entry, a duplicate id or a cycle. The spec package validates earlier; this is a guard so
 * that the engine never loops or dereferences a missing task.
 */
export function createPlan(dag: PlanDag): Plan {
  const nodes = indexNodes(dag);
  const order = topologicalOrder(dag, nodes);
  const roots = dag.tasks
    .filter((task) => nodeOf(nodes, task.id).upstream.length === 0)
    .map((task) => task.id);
  return {
    dag,
    order,
    roots,
    has: (id) => nodes.has(id),
    task: (id) => nodeOf(nodes, id).task,
    upstream: (id) => nodeOf(nodes, id).upstream,
    downstream: (id) => nodeOf(nodes, id).downstream,
  };
}

function nodeOf(nodes: ReadonlyMap<string, Node>, id: string): Node {
  const node = nodes.get(id);
  if (node === undefined) throw new TributaryError(Code.NotFound, `task '${id}' is not in the DAG`);
  return node;
}

function indexNodes(dag: PlanDag): Map<string, Node> {
  const nodes = new Map<string, Node>();
  const problems: Problem[] = [];
  for (const task of dag.tasks) {
    if (nodes.has(task.id)) {
      problems.push({ taskId: task.id, field: 'tasks', message: `duplicate task id '${task.id}'` });
      continue;
    }
    // Deduplicated: the engine counts finished upstream tasks, so a repeated need would be counted twice.
    nodes.set(task.id, { task, upstream: [...new Set(task.needs)], downstream: [] });
  }
  for (const [id, node] of nodes) {
    for (const need of node.upstream) {
      const upstream = nodes.get(need);
      if (upstream === undefined) {
        problems.push({ taskId: id, field: `tasks.${id}.needs`, message: `needs unknown task '${need}'` });
      } else {
        upstream.downstream.push(id);
      }
    }
  }
  if (problems.length > 0) throw invalid(problems);
  return nodes;
}

/** Kahn's algorithm; whatever it cannot order lies on or after a cycle. */
function topologicalOrder(dag: PlanDag, nodes: ReadonlyMap<string, Node>): string[] {
  const waiting = new Map<string, number>();
  const order: string[] = [];
  for (const [id, node] of nodes) {
    waiting.set(id, node.upstream.length);
    if (node.upstream.length === 0) order.push(id);
  }
  for (let next = 0; next < order.length; next++) {
    for (const down of nodeOf(nodes, order[next]!).downstream) {
      const left = waiting.get(down)! - 1;
      waiting.set(down, left);
      if (left === 0) order.push(down);
    }
  }
  if (order.length < nodes.size) throw invalid([describeCycle(dag, nodes, waiting)]);
  return order;
}

/**
 * Every unordered task has an unordered upstream task, so walking upstream from one of them must revisit a
 * task: the walk from that task on is a cycle, which is what a user needs to see.
 */
function describeCycle(
  dag: PlanDag,
  nodes: ReadonlyMap<string, Node>,
  waiting: ReadonlyMap<string, number>,
): Problem {
  const unordered = (id: string) => waiting.get(id)! > 0;
  const start = dag.tasks.find((task) => unordered(task.id))!.id;
  const path: string[] = [];
  const seen = new Map<string, number>();
  let current = start;
  while (!seen.has(current)) {
    seen.set(current, path.length);
    path.push(current);
    current = nodeOf(nodes, current).upstream.find(unordered)!;
  }
  const cycle = path.slice(seen.get(current)).reverse();
  const first = cycle[0]!;
  return {
    taskId: first,
    field: `tasks.${first}.needs`,
    message: `dependency cycle: ${[...cycle, first].join(' -> ')}`,
  };
}

function invalid(problems: Problem[]): TributaryError {
  const message = problems.length === 1 ? formatProblem(problems[0]!) : `${problems.length} problems`;
  return new TributaryError(Code.InvalidArgument, `invalid DAG: ${message}`, { problems });
}
