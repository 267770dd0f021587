import { isMap, isScalar, isSeq, type Node } from 'yaml';

/** How a value reads in a message: `'two'`, `3`, `a mapping`, `nothing`. */
export function describeNode(node: Node | undefined): string {
  if (node === undefined || (isScalar(node) && node.value === null)) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  const value = isScalar(node) ? node.value : undefined;
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/** The scalar value of a node; undefined for mappings, lists and missing values. */
export function scalarOf(node: Node | undefined): unknown {
  return isScalar(node) ? node.value : undefined;
}
