import { randomBytes } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Code, TributaryError } from '@tributary/core';

/** A worker's compiled options: every field filled and validated. */
export interface WorkerOptions {
  /** NATS server URL(s), comma-separated for several. @default 'nats://127.0.0.1:4222' */
  natsUrl: string;
  /** Prefix of every NATS subject, stream and bucket; must match the coordinator's. @default 'trib' */
  prefix: string;
  /** Worker pools to pull tasks from. @default ['default'] */
  pools: string[];
  /** Most tasks running at once, across all pools. @default 8 */
  concurrency: number;
  /** This worker's id in heartbeats and events. @default `${hostname}-${pid}-${random4}` */
  workerId: string;
  /** How often to heartbeat, in ms. @default 2000 */
  heartbeatIntervalMs: number;
  /** Where bundles are unpacked, one folder per hash. @default <os.tmpdir()>/tributary-bundles */
  cacheDir: string;
  /** On stop: how long running tasks may finish before they are cancelled, in ms. @default 30000 */
  shutdownGraceMs: number;
  /** After a cancel or timeout: how long a task's processes get before they are killed (ms). @default 5000 */
  killGraceMs: number;
  /** AckWait of the pool consumers the worker creates, in ms. @default 30000 */
  taskAckWaitMs: number;
}

/** What {@link compileWorkerOptions} accepts: numbers may also come as digit strings (CLI flags). */
export interface WorkerOptionsInput {
  natsUrl: string;
  prefix: string;
  /** A list, or one comma-separated string. */
  pools: string[] | string;
  concurrency: number | string;
  workerId: string;
  heartbeatIntervalMs: number | string;
  cacheDir: string;
  shutdownGraceMs: number | string;
  killGraceMs: number | string;
  taskAckWaitMs: number | string;
}

/** The defaults of every option but `workerId` (unique per process) and `cacheDir` (from the OS). */
export const DEFAULT_WORKER_OPTIONS = {
  natsUrl: 'nats://127.0.0.1:4222',
  prefix: 'trib',
  pools: ['default'],
  concurrency: 8,
  heartbeatIntervalMs: 2_000,
  shutdownGraceMs: 30_000,
  killGraceMs: 5_000,
  taskAckWaitMs: 30_000,
} as const;

const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
const KNOWN_FIELDS: ReadonlySet<string> = new Set<keyof WorkerOptionsInput>([
  'natsUrl',
  'prefix',
  'pools',
  'concurrency',
  'workerId',
  'heartbeatIntervalMs',
  'cacheDir',
  'shutdownGraceMs',
  'killGraceMs',
  'taskAckWaitMs',
]);

/**
 * Fills defaults and validates every field.
 * @throws TributaryError `InvalidArgument` naming the field, e.g.
 * `concurrency must be a positive integer, got 0`.
 */
export function compileWorkerOptions(input: Partial<WorkerOptionsInput>): WorkerOptions {
  for (const [key, value] of Object.entries(input)) {
    // Typos in flags fail loudly instead of silently running with a default.
    if (value !== undefined && !KNOWN_FIELDS.has(key)) invalid(`unknown worker option '${key}'`);
  }
  return {
    natsUrl: nonEmpty('natsUrl', input.natsUrl ?? DEFAULT_WORKER_OPTIONS.natsUrl),
    prefix: name('prefix', input.prefix ?? DEFAULT_WORKER_OPTIONS.prefix),
    pools: pools(input.pools ?? [...DEFAULT_WORKER_OPTIONS.pools]),
    concurrency: integer('concurrency', input.concurrency ?? DEFAULT_WORKER_OPTIONS.concurrency, 1),
    workerId: nonEmpty('workerId', input.workerId ?? defaultWorkerId()),
    heartbeatIntervalMs: integer(
      'heartbeatIntervalMs',
      input.heartbeatIntervalMs ?? DEFAULT_WORKER_OPTIONS.heartbeatIntervalMs,
      1,
    ),
    cacheDir: resolve(nonEmpty('cacheDir', input.cacheDir ?? join(tmpdir(), 'tributary-bundles'))),
    shutdownGraceMs: integer(
      'shutdownGraceMs',
      input.shutdownGraceMs ?? DEFAULT_WORKER_OPTIONS.shutdownGraceMs,
      0,
    ),
    killGraceMs: integer('killGraceMs', input.killGraceMs ?? DEFAULT_WORKER_OPTIONS.killGraceMs, 0),
    taskAckWaitMs: integer('taskAckWaitMs', input.taskAckWaitMs ?? DEFAULT_WORKER_OPTIONS.taskAckWaitMs, 1),
  };
}

/**
 * Options from the environment (`NATS_URL`, `TRIBUTARY_NATS_PREFIX`, `TRIBUTARY_HEARTBEAT_INTERVAL_MS`,
 * `TRIBUTARY_SHUTDOWN_GRACE_MS`) and flags; flags win. Empty environment variables count as unset.
 */
export function workerOptionsFromEnv(
  env: Record<string, string | undefined>,
  flags: Partial<WorkerOptionsInput>,
): WorkerOptions {
  const fromEnv: Partial<WorkerOptionsInput> = {};
  if (env.NATS_URL) fromEnv.natsUrl = env.NATS_URL;
  if (env.TRIBUTARY_NATS_PREFIX) fromEnv.prefix = env.TRIBUTARY_NATS_PREFIX;
  // Digit strings are accepted and checked by compileWorkerOptions, which names a bad value.
  if (env.TRIBUTARY_HEARTBEAT_INTERVAL_MS) fromEnv.heartbeatIntervalMs = env.TRIBUTARY_HEARTBEAT_INTERVAL_MS;
  if (env.TRIBUTARY_SHUTDOWN_GRACE_MS) fromEnv.shutdownGraceMs = env.TRIBUTARY_SHUTDOWN_GRACE_MS;
  const definedFlags = Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
  return compileWorkerOptions({ ...fromEnv, ...definedFlags });
}

function defaultWorkerId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
}

function invalid(message: string): never {
  throw new TributaryError(Code.InvalidArgument, message, { problems: [{ message }] });
}

function nonEmpty(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    invalid(`${field} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value.trim();
}

function name(field: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    invalid(`${field} must match /^[A-Za-z0-9_-]+$/, got ${JSON.stringify(value)}`);
  }
  return value;
}

function pools(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(',').map((pool) => pool.trim()) : value;
  if (!Array.isArray(list) || list.length === 0) {
    invalid(`pools must be a non-empty list of pool names, got ${JSON.stringify(value)}`);
  }
  list.forEach((pool, index) => {
    name(`pools[${index}]`, pool);
  });
  return [...new Set(list as string[])];
}

function integer(field: string, value: unknown, min: number): number {
  const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < min) {
    const what = min === 1 ? 'a positive integer' : `an integer >= ${min}`;
    invalid(
      `${field} must be ${what}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`,
    );
  }
  return number;
}
