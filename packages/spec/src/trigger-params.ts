import type { JsonObject } from '@tributary/core';
import { isMap, isScalar, type Node } from 'yaml';
import { keyNodeOf, type MapEntry, report, resolve, type SpecContext } from './positions.js';
import { didYouMean } from './suggest.js';

/** The keys of a mapping with their nodes, first of duplicates only. */
function keysWithNodes(node: Node | undefined): Map<string, Node> {
  const keys = new Map<string, Node>();
  if (!isMap(node)) return keys;
  for (const pair of node.items) {
    if (isScalar(pair.key) && !keys.has(String(pair.key.value))) keys.set(String(pair.key.value), pair.key);
  }
  return keys;
}

/** Who starts runs that nobody gives params to, for messages; undefined when no such trigger. */
function unattendedRuns(fields: ReadonlyMap<string, MapEntry>): string | undefined {
  const who = [
    ...(fields.has('schedule') ? ['scheduled runs'] : []),
    ...(fields.has('after') ? ['runs started by after'] : []),
  ];
  return who.length === 0 ? undefined : who.join(' and ');
}

/**
 * The params a DAG's triggers give its runs: a scheduled run or one started by `after` has no one to
 * give params, so every param needs a default; a run started by `on` gets those in `on.params`, which
 * must name declared params and set every one without a default. `paramsSchema` is the schema read
 * from `params` (a param whose schema is wrong is missing from it and was reported already).
 */
export function checkTriggerParams(
  ctx: SpecContext,
  fields: ReadonlyMap<string, MapEntry>,
  paramsSchema: JsonObject,
): void {
  const paramsNode = fields.get('params')?.value;
  // Declared params as written, so that one with a broken schema is not also "not a param".
  const declared = keysWithNodes(paramsNode);
  const required = ((paramsSchema.required as string[] | undefined) ?? []).filter((name) =>
    declared.has(name),
  );
  const who = unattendedRuns(fields);
  for (const name of who === undefined ? [] : required) {
    const message = `param '${name}' has no default, but ${who} have no one to give it a value: give it a default`;
    report(ctx, paramsNode && keyNodeOf(ctx, paramsNode, name), message, { field: `params.${name}` });
  }
  const on = fields.get('on');
  if (on === undefined || !isMap(on.value)) return;
  const onParamsPair = on.value.items.find((pair) => isScalar(pair.key) && pair.key.value === 'params');
  const onParamsKey = isScalar(onParamsPair?.key) ? onParamsPair.key : undefined;
  const given = keysWithNodes(resolve(ctx, onParamsPair?.value));
  for (const [key, keyNode] of given) {
    if (declared.has(key)) continue;
    const none = declared.size === 0 ? ' (it declares no params)' : '';
    const message = `'${key}' is not a param of this DAG${didYouMean(key, declared.keys())}${none}`;
    report(ctx, keyNode, message, { field: `on.params.${key}` });
  }
  for (const name of required.filter((param) => !given.has(param))) {
    const message = `param '${name}' has no default and on.params does not set it: a run started by a message needs a value for it`;
    report(ctx, onParamsKey ?? on.keyNode, message, { field: 'on.params' });
  }
}
