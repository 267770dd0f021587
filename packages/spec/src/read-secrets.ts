import { isSeq, type Node } from 'yaml';
import { RESERVED_SECRET_PREFIX, SECRET_NAME_PATTERN } from './fields.js';
import { describeNode, scalarOf } from './node-values.js';
import { report, resolve, type SpecContext, type Where } from './positions.js';

/**
 * Reads a `secrets` list: secret names, deduplicated in the order written. Each bad entry is reported
 * at the entry itself; `secrets:` with nothing after it is an empty list.
 */
export function readSecrets(ctx: SpecContext, node: Node | undefined, where: Where): string[] | undefined {
  if (node === undefined || scalarOf(node) === null) return [];
  if (!isSeq(node)) {
    const got = describeNode(node);
    report(ctx, node, `must be a list of secret names, e.g. [API_TOKEN] (got ${got})`, where);
    return undefined;
  }
  const names: string[] = [];
  let ok = true;
  for (const item of node.items) {
    const entry = resolve(ctx, item) ?? node;
    const problem = secretNameProblem(scalarOf(entry), entry);
    if (problem === undefined) names.push(scalarOf(entry) as string);
    else {
      report(ctx, entry, problem, where);
      ok = false;
    }
  }
  return ok ? [...new Set(names)] : undefined;
}

/** Why `value` cannot name a secret, or undefined when it can. */
function secretNameProblem(value: unknown, node: Node): string | undefined {
  if (typeof value !== 'string') return `must name a secret (got ${describeNode(node)})`;
  if (!new RegExp(SECRET_NAME_PATTERN).test(value)) {
    const hint = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(value)
      ? `, e.g. ${value.toUpperCase().replace(/-/g, '_')}`
      : '';
    return `invalid secret name '${value}' (use upper-case letters, digits and _, not starting with a digit${hint})`;
  }
  if (value.startsWith(RESERVED_SECRET_PREFIX)) {
    return `invalid secret name '${value}' (names starting with ${RESERVED_SECRET_PREFIX} are reserved for the variables Tributary sets)`;
  }
  return undefined;
}
