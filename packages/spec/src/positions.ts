import type { Problem, SourcePosition } from '@tributary/core';
import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

/** Where a problem belongs: its dotted field path and, inside a task, the task id. */
export interface Where {
  field?: string;
  taskId?: string;
}

/** Shared state of one parse: the source, its line index, and the problems found so far. */
export interface SpecContext {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
  problems: Problem[];
}

/** A key-value entry of a YAML mapping, with its key as a string and both nodes for positions. */
export interface MapEntry {
  key: string;
  keyNode: Node;
  /** The value node with aliases resolved; undefined for `key:` with nothing after it. */
  value: Node | undefined;
}

/** The 1-based line and column of a source offset. */
export function positionAt(ctx: SpecContext, offset: number): SourcePosition {
  const { line, col } = ctx.lineCounter.linePos(offset);
  return { file: ctx.file, line, column: col };
}

/** The position where a node starts; the start of the file when there is no node. */
export function positionOf(ctx: SpecContext, node: Node | undefined): SourcePosition {
  return positionAt(ctx, node?.range?.[0] ?? 0);
}

/** Records a problem located at `node`. */
export function report(ctx: SpecContext, node: Node | undefined, message: string, where: Where = {}): void {
  const problem: Problem = { message, position: positionOf(ctx, node) };
  if (where.taskId !== undefined) problem.taskId = where.taskId;
  if (where.field !== undefined) problem.field = where.field;
  ctx.problems.push(problem);
}

/** Follows an alias (`*name`) to the node it names; other nodes are returned as they are. */
export function resolve(ctx: SpecContext, node: unknown): Node | undefined {
  if (isAlias(node)) return node.resolve(ctx.doc) ?? undefined;
  return isMap(node) || isSeq(node) || isScalar(node) ? node : undefined;
}

/**
 * The entries of a mapping, in source order. Reports keys that are not plain scalars and duplicate
 * keys (the yaml parser runs with `uniqueKeys: false` so that this walk can say which line the first
 * one is on, and name a duplicate task id as such); only the first of duplicates is returned.
 */
export function mapEntries(
  ctx: SpecContext,
  node: Node,
  duplicateLabel: string,
  where: Where,
  keysAreTaskIds = false,
): MapEntry[] {
  if (!isMap(node)) return [];
  const entries: MapEntry[] = [];
  const firstLine = new Map<string, number>();
  for (const pair of node.items) {
    const keyNode = resolve(ctx, pair.key);
    if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
      report(ctx, keyNode ?? node, 'keys must be plain strings', where);
      continue;
    }
    const key = String(keyNode.value);
    const line = positionOf(ctx, keyNode).line;
    const first = firstLine.get(key);
    if (first !== undefined) {
      const field = where.field === undefined ? key : `${where.field}.${key}`;
      const at = keysAreTaskIds ? { field, taskId: key } : { ...where, field };
      report(ctx, keyNode, `duplicate ${duplicateLabel} '${key}' (first defined at line ${first})`, at);
      continue;
    }
    firstLine.set(key, line);
    entries.push({ key, keyNode, value: resolve(ctx, pair.value) });
  }
  return entries;
}

/**
 * The node at a path of keys and indexes below `node` (for pointing at a keyword inside a param's
 * schema); the deepest node found when the path runs out early.
 */
export function nodeAtPath(ctx: SpecContext, node: Node, path: readonly (string | number)[]): Node {
  let current = node;
  for (const segment of path) {
    let next: Node | undefined;
    if (isMap(current)) {
      const pair = current.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      next = resolve(ctx, pair?.value);
    } else if (isSeq(current) && typeof segment === 'number') {
      next = resolve(ctx, current.items[segment]);
    }
    if (next === undefined) return current;
    current = next;
  }
  return current;
}

/** The key node of `key` in a mapping node, for problems about the key itself. */
export function keyNodeOf(ctx: SpecContext, node: Node, key: string): Node | undefined {
  if (!isMap(node)) return undefined;
  const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
  return resolve(ctx, pair?.key);
}
