import { parseByteSize } from '@tributary/core';
import { isSeq, type Node } from 'yaml';
import {
  CONTAINER_BUNDLE_PATH,
  CONTAINER_RESERVED_PATH,
  CONTAINER_USER_PATTERN,
  type ContainerValueType,
  IMAGE_PATTERN,
  MEMORY_PATTERN,
  MILLI_CPU_PATTERN,
  MIN_CONTAINER_MEMORY_BYTES,
} from './container-fields.js';
import {
  CONTAINER_NETWORKS,
  CONTAINER_PULL_POLICIES,
  type ContainerNetwork,
  type ContainerPullPolicy,
  type ContainerVolume,
} from './model.js';
import { describeNode, scalarOf } from './node-values.js';
import { report, resolve, type SpecContext, type Where } from './positions.js';
import { didYouMean } from './suggest.js';

/** What one container field reader returns: the value, or undefined after reporting why there is none. */
export type ContainerFieldValue = string | number | string[] | ContainerVolume[] | undefined;

function readText(ctx: SpecContext, node: Node | undefined, where: Where, pattern: string, hint: string) {
  const value = scalarOf(node);
  if (typeof value === 'string' && new RegExp(pattern).test(value)) return value;
  const quote = typeof value === 'number' || typeof value === 'boolean' ? ` (quote it: '${value}')` : '';
  report(ctx, node, `must be ${hint} (got ${describeNode(node)})${quote}`, where);
  return undefined;
}

/** A list of strings (`[python, main.py]`): what runs without a shell, so a single string is refused. */
function readArgv(ctx: SpecContext, node: Node | undefined, where: Where): string[] | undefined {
  if (!isSeq(node)) {
    const hint =
      typeof scalarOf(node) === 'string' ? ', e.g. [python, main.py]: it runs without a shell' : '';
    report(ctx, node, `must be a list of strings (got ${describeNode(node)})${hint}`, where);
    return undefined;
  }
  const argv: string[] = [];
  let ok = true;
  node.items.forEach((item, index) => {
    const entry = resolve(ctx, item) ?? node;
    const value = scalarOf(entry);
    if (typeof value === 'string') {
      argv.push(value);
      return;
    }
    ok = false;
    const quote = typeof value === 'number' || typeof value === 'boolean' ? ` (quote it: '${value}')` : '';
    const at = { ...where, field: `${where.field}[${index}]` };
    report(ctx, entry, `must be a string (got ${describeNode(entry)})${quote}`, at);
  });
  return ok ? argv : undefined;
}

/** Cores as a positive number (`0.5`), or millicores (`500m`). */
function readCpu(ctx: SpecContext, node: Node | undefined, where: Where): number | undefined {
  const value = scalarOf(node);
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  if (typeof value === 'string' && new RegExp(MILLI_CPU_PATTERN).test(value)) {
    return Number(value.slice(0, -1)) / 1000;
  }
  report(
    ctx,
    node,
    `must be a number of cores above 0, e.g. 0.5, or millicores, e.g. 500m (got ${describeNode(node)})`,
    where,
  );
  return undefined;
}

/**
 * Bytes from `256Mi`, `1Gi`, `512M`, `1GB` or a number. Kubernetes' `Mi`/`M` spellings become the
 * `MiB`/`MB` that `parseByteSize` reads.
 */
export function parseMemory(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string' || !new RegExp(MEMORY_PATTERN).test(value)) return undefined;
  return parseByteSize(value.replace(/([kmg]i?)$/i, '$1B'));
}

function readMemory(ctx: SpecContext, node: Node | undefined, where: Where): number | undefined {
  const bytes = parseMemory(scalarOf(node));
  if (bytes === undefined) {
    report(
      ctx,
      node,
      `must be a size such as 256Mi, 1Gi or 512MB, or a number of bytes (got ${describeNode(node)})`,
      where,
    );
    return undefined;
  }
  if (bytes >= MIN_CONTAINER_MEMORY_BYTES) return bytes;
  report(
    ctx,
    node,
    `must be at least 6Mi, the least a container engine accepts (got ${describeNode(node)})`,
    where,
  );
  return undefined;
}

function readChoice<T extends string>(
  ctx: SpecContext,
  node: Node | undefined,
  where: Where,
  what: string,
  choices: readonly T[],
): T | undefined {
  const value = scalarOf(node);
  const found = choices.find((choice) => choice === value);
  if (found !== undefined) return found;
  const hint = typeof value === 'string' ? didYouMean(value, choices) : '';
  report(ctx, node, `unknown ${what} ${describeNode(node)}${hint}; use one of: ${choices.join(', ')}`, where);
  return undefined;
}

/** Why a container path cannot be used, or undefined when it can. */
function containerPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return `'${path}' is not an absolute path`;
  if (path.split('/').includes('..')) return `'${path}' holds '..'`;
  return undefined;
}

function readContainerPath(ctx: SpecContext, node: Node | undefined, where: Where): string | undefined {
  const value = scalarOf(node);
  const problem = typeof value === 'string' ? containerPathProblem(value) : 'it is not a string';
  if (problem === undefined) return value as string;
  report(ctx, node, `must be an absolute path inside the container, e.g. /work (${problem})`, where);
  return undefined;
}

/** One `host:container[:ro|rw]` entry, or why it is wrong. */
function parseVolume(text: string): ContainerVolume | string {
  const parts = text.split(':');
  const [hostPath, containerPath, mode] = parts;
  if (parts.length < 2 || parts.length > 3 || hostPath === undefined || containerPath === undefined) {
    return `'${text}' is not host_path:container_path[:ro]`;
  }
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') {
    return `'${text}' ends in '${mode}'; the mode is ro or rw`;
  }
  if (!hostPath.startsWith('/')) return `the host path '${hostPath}' is not absolute`;
  const problem = containerPathProblem(containerPath);
  if (problem !== undefined) return `the container path ${problem}`;
  const normalized = containerPath.replace(/\/+$/, '') || '/';
  const reserved = [CONTAINER_BUNDLE_PATH, CONTAINER_RESERVED_PATH];
  if (
    normalized === '/' ||
    reserved.some((path) => normalized === path || normalized.startsWith(`${path}/`))
  ) {
    return `the container path '${containerPath}' is taken: / , ${CONTAINER_BUNDLE_PATH} and ${CONTAINER_RESERVED_PATH}/... are the executor's`;
  }
  return { hostPath, containerPath, readOnly: mode === 'ro' };
}

function readVolumes(ctx: SpecContext, node: Node | undefined, where: Where): ContainerVolume[] | undefined {
  if (node === undefined || scalarOf(node) === null) return [];
  if (!isSeq(node)) {
    report(ctx, node, `must be a list of host_path:container_path[:ro] (got ${describeNode(node)})`, where);
    return undefined;
  }
  const volumes: ContainerVolume[] = [];
  let ok = true;
  node.items.forEach((item, index) => {
    const entry = resolve(ctx, item) ?? node;
    const value = scalarOf(entry);
    const parsed =
      typeof value === 'string' ? parseVolume(value) : `got ${describeNode(entry)}, not a string`;
    if (typeof parsed !== 'string') {
      volumes.push(parsed);
      return;
    }
    ok = false;
    const message = `invalid volume: ${parsed} (write host_path:container_path, optionally :ro)`;
    report(ctx, entry, message, { ...where, field: `${where.field}[${index}]` });
  });
  return ok ? volumes : undefined;
}

/** Reads one container field value of `type`, reporting every problem with it. */
export function readContainerValue(
  ctx: SpecContext,
  type: ContainerValueType,
  node: Node | undefined,
  where: Where,
): ContainerFieldValue {
  switch (type) {
    case 'image':
      return readText(ctx, node, where, IMAGE_PATTERN, 'an image reference such as python:3.12-slim');
    case 'argv':
      return readArgv(ctx, node, where);
    case 'containerPath':
      return readContainerPath(ctx, node, where);
    case 'cpu':
      return readCpu(ctx, node, where);
    case 'memory':
      return readMemory(ctx, node, where);
    case 'pullPolicy':
      return readChoice<ContainerPullPolicy>(ctx, node, where, 'pull policy', CONTAINER_PULL_POLICIES);
    case 'network':
      return readChoice<ContainerNetwork>(ctx, node, where, 'network', CONTAINER_NETWORKS);
    case 'containerUser':
      return readText(
        ctx,
        node,
        where,
        CONTAINER_USER_PATTERN,
        'a uid, uid:gid or user name, e.g. 1000:1000',
      );
    case 'volumes':
      return readVolumes(ctx, node, where);
  }
}
