// Node task modules for node-executor.test.ts, loaded by tsx inside pool threads.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
// Loaded through tsx's namespaced loader, a copy of the sdk other than the executor's own: skipping must
// not depend on instanceof.
import { type NodeTaskContext, SkipTask } from '@tributary/sdk';

interface Sum {
  total: number;
  from: string[];
}

/** Uses params and an upstream output; the annotations only load if the module is really compiled. */
export function run(ctx: NodeTaskContext): Sum {
  const base = ctx.params.base as number;
  const upstream = ctx.inputs.extract as { count: number };
  return { total: base + upstream.count, from: Object.keys(ctx.inputs) };
}

export function describeContext(ctx: NodeTaskContext) {
  return {
    runId: ctx.runId,
    taskId: ctx.taskId,
    attempt: ctx.attempt,
    env: ctx.env,
    traceparent: ctx.traceparent ?? null,
    aborted: ctx.signal.aborted,
  };
}

export function returnsNothing(): void {}

export function throwsRangeError(): never {
  throw new RangeError('base must be positive');
}

export function returnsFunction() {
  return { ok: true, callback: () => 1 };
}

export function returnsCycle() {
  const node: Record<string, unknown> = { name: 'loop' };
  node.self = node;
  return node;
}

/** Ignores its signal: only killing the thread stops it. */
export function busyLoop(): never {
  const until = Number.POSITIVE_INFINITY;
  while (Date.now() < until) {
    // Spin without yielding to the event loop.
  }
  throw new Error('unreachable');
}

/** Stops as soon as its signal aborts, rejecting with the signal's reason. */
export function waitsForAbort(ctx: NodeTaskContext): Promise<never> {
  ctx.log('waiting');
  return new Promise((_, reject) => {
    if (ctx.signal.aborted) reject(ctx.signal.reason);
    ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
  });
}

/** Writes numbered lines through every channel, in a known order. */
export function logsLines(ctx: NodeTaskContext): string {
  const count = ctx.params.count as number;
  for (let index = 1; index <= count; index++) {
    if (index % 4 === 1) ctx.log(`line ${index}`);
    else if (index % 4 === 2) ctx.log.warn(`line ${index}`);
    else if (index % 4 === 3) console.log(`line ${index}`);
    else console.error(`line ${index}`);
  }
  return 'done';
}

export function logsMultiline(ctx: NodeTaskContext): null {
  ctx.log.error('first\nsecond');
  return null;
}

export function slow(ctx: NodeTaskContext): Promise<string> {
  return new Promise((resolve) =>
    setTimeout(() => resolve(`slept ${String(ctx.params.ms)}`), ctx.params.ms as number),
  );
}

/** Skips by throwing, with the reason from params. */
export function throwsSkip(ctx: NodeTaskContext): never {
  ctx.log('checking for new rows');
  throw new SkipTask(ctx.params.reason as string);
}

/** Skips through the context, without a reason. */
export function callsSkip(ctx: NodeTaskContext): string {
  ctx.skip();
  return 'unreachable';
}

/**
 * A sensor counting its pokes in `params.counter`: not yet (false) until poke `params.after`, then
 * `params.value` when given, else true.
 */
export function countingSensor(ctx: NodeTaskContext): unknown {
  const counter = ctx.params.counter as string;
  const pokes = (existsSync(counter) ? Number(readFileSync(counter, 'utf8')) : 0) + 1;
  writeFileSync(counter, String(pokes));
  ctx.log(`poke ${pokes}`);
  if (pokes < (ctx.params.after as number)) return false;
  return ctx.params.value ?? true;
}

/** Sets two keys of the run context, then reads them back with a missing one and the key list. */
export async function usesContext(ctx: NodeTaskContext) {
  await ctx.context.set('rows', 42);
  await ctx.context.set('meta.source', { from: ctx.taskId });
  return {
    rows: (await ctx.context.get('rows')) ?? null,
    source: (await ctx.context.get('meta.source')) ?? null,
    missing: (await ctx.context.get('nope')) === undefined,
    keys: await ctx.context.keys(),
  };
}

/**
 * Sets `params.key` to `params.value`, or to a string of `params.size` characters. A rejected call
 * fails the task with the rejection's message.
 */
export async function setsContext(ctx: NodeTaskContext): Promise<string> {
  const { key, value, size } = ctx.params;
  await ctx.context.set(String(key), typeof size === 'number' ? 'x'.repeat(size) : (value ?? null));
  return 'set';
}

/** A matrix instance's values and index, as the task sees them. */
export function describeMatrix(ctx: NodeTaskContext) {
  return { matrix: ctx.matrix, matrixIndex: ctx.matrixIndex ?? null };
}

/** A mapped instance's index and item, as the task sees them (null when absent). */
export function describeMap(ctx: NodeTaskContext) {
  return { mapIndex: ctx.mapIndex ?? null, mapItem: ctx.mapItem ?? null, hasItem: 'mapItem' in ctx };
}

/**
 * Prints `ctx.secrets.API_TOKEN` through every channel, and returns what proves it has the value
 * without holding it (length, SHA-256), and whether the worker's own secret variables reached it.
 */
export function printsSecret(ctx: NodeTaskContext) {
  const token = ctx.secrets.API_TOKEN ?? '';
  ctx.log(`token=${token}`);
  console.log(`console ${token}!`);
  console.error(token);
  return {
    length: token.length,
    sha256: createHash('sha256').update(token).digest('hex'),
    names: Object.keys(ctx.secrets),
    workerVariables: Object.keys(process.env).filter((name) => name.startsWith('TRIBUTARY_SECRET_')),
  };
}

/** Fails with the secret in its message, as a careless error would. */
export function throwsSecret(ctx: NodeTaskContext): never {
  throw new Error(`request refused for token ${ctx.secrets.API_TOKEN}`);
}
