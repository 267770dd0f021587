import { randomBytes } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { type NatsAuth, natsAuthFromEnv } from '@tributary/bus';
import { Code, DEFAULT_OUTPUT_MAX_BYTES, MIB, parseByteSize, TributaryError } from '@tributary/core';
import {
  DEFAULT_LOG_LEVEL,
  type LogFormat,
  type LogLevel,
  parseListenAddress,
  parseLogFormat,
  parseLogLevel,
} from '@tributary/telemetry';

/** A worker's compiled options: every field filled and validated. */
export interface WorkerOptions {
  /** NATS server URL(s), comma-separated for several. @default 'nats://127.0.0.1:4222' */
  natsUrl: string;
  /** NATS credentials (`NATS_USER`/`NATS_PASSWORD`, `NATS_TOKEN` or `NATS_CREDS`). @default none */
  natsAuth?: NatsAuth;
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
  /**
   * Outputs larger than this (bytes of UTF-8 JSON) go to the object store and the worker reports a
   * reference instead; so does any output whose event would not fit in one NATS message.
   * @default 1048576 (1 MiB)
   */
  outputInlineLimitBytes: number;
  /** Outputs larger than this (bytes of UTF-8 JSON) fail their attempt with `OutputTooLarge`. @default 64 MiB */
  outputMaxBytes: number;
  /**
   * A YAML or JSON file of sql connection URLs (`connections: { warehouse: postgres://... }`) and of the
   * values of the secrets tasks name (`secrets: { API_TOKEN: ... }`), read once at start;
   * `TRIBUTARY_CONNECTION_<NAME>` and `TRIBUTARY_SECRET_<NAME>` variables win over it. @default none
   */
  secretsFile: string | undefined;
  /**
   * The coordinator's gRPC address (`host:port`), through which dag tasks trigger and follow their child
   * runs. @default '127.0.0.1:7070'
   */
  server: string;
  /**
   * Where Prometheus scrapes the worker's metrics (`GET /metrics`), host:port (port 0 picks a free one),
   * or null (`off`) for no endpoint. @default '127.0.0.1:9465'
   */
  metricsListen: string | null;
  /** Service log lines below this level are dropped. @default 'info' */
  logLevel: LogLevel;
  /** Service log form: JSON lines, or text for a person. @default 'pretty' on a terminal, else 'json' */
  logFormat: LogFormat | undefined;
  /**
   * The container engine's API for container tasks: a unix socket path, `unix://` or `tcp://` URL
   * (Docker, or `podman system service`). @default DOCKER_HOST, else '/var/run/docker.sock'
   */
  containerSocket: string;
  /**
   * Host folders (absolute) under which container tasks may bind-mount `volumes`; any other volume fails
   * its task with `ContainerVolumeDenied`. @default [] (none)
   */
  containerVolumes: string[];
  /**
   * The `tributary.worker` label of this worker's containers, and what its start-up cleanup removes
   * orphans by. Unlike `workerId` (new at each start) it must stay the same across restarts; workers
   * sharing a host share it safely, since the cleanup spares containers of worker processes still alive.
   * @default os.hostname()
   */
  containerOwner: string;
}

/** What {@link compileWorkerOptions} accepts: numbers may also come as digit strings (CLI flags). */
export interface WorkerOptionsInput {
  natsUrl: string;
  natsAuth: NatsAuth;
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
  /** Bytes, or a size with a unit such as `512KiB` or `1MiB`. */
  outputInlineLimitBytes: number | string;
  /** Bytes, or a size with a unit such as `64MiB`. */
  outputMaxBytes: number | string;
  secretsFile: string;
  server: string;
  /** host:port, or `off`. */
  metricsListen: string;
  logLevel: string;
  logFormat: string;
  containerSocket: string;
  /** A list, or one comma-separated string. */
  containerVolumes: string[] | string;
  containerOwner: string;
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
  outputInlineLimitBytes: MIB,
  outputMaxBytes: DEFAULT_OUTPUT_MAX_BYTES,
  server: '127.0.0.1:7070',
  metricsListen: '127.0.0.1:9465',
  logLevel: DEFAULT_LOG_LEVEL,
  containerSocket: '/var/run/docker.sock',
  containerVolumes: [],
} as const;

const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
const KNOWN_FIELDS: ReadonlySet<string> = new Set<keyof WorkerOptionsInput>([
  'natsUrl',
  'natsAuth',
  'prefix',
  'pools',
  'concurrency',
  'workerId',
  'heartbeatIntervalMs',
  'cacheDir',
  'shutdownGraceMs',
  'killGraceMs',
  'taskAckWaitMs',
  'outputInlineLimitBytes',
  'outputMaxBytes',
  'secretsFile',
  'server',
  'metricsListen',
  'logLevel',
  'logFormat',
  'containerSocket',
  'containerVolumes',
  'containerOwner',
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
  const outputInlineLimitBytes = byteSize(
    'outputInlineLimitBytes',
    input.outputInlineLimitBytes ?? DEFAULT_WORKER_OPTIONS.outputInlineLimitBytes,
  );
  const outputMaxBytes = byteSize(
    'outputMaxBytes',
    input.outputMaxBytes ?? DEFAULT_WORKER_OPTIONS.outputMaxBytes,
  );
  if (outputInlineLimitBytes > outputMaxBytes) {
    // Every output the store would take fails first: a mix-up of the two settings, not a choice.
    invalid(
      `outputInlineLimitBytes must not exceed outputMaxBytes, got ${outputInlineLimitBytes} > ${outputMaxBytes}`,
    );
  }
  return {
    natsUrl: nonEmpty('natsUrl', input.natsUrl ?? DEFAULT_WORKER_OPTIONS.natsUrl),
    ...(input.natsAuth === undefined ? {} : { natsAuth: input.natsAuth }),
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
    outputInlineLimitBytes,
    outputMaxBytes,
    secretsFile:
      input.secretsFile === undefined || input.secretsFile.trim() === ''
        ? undefined
        : resolve(input.secretsFile),
    server: serverAddress(input.server ?? DEFAULT_WORKER_OPTIONS.server),
    metricsListen: metricsListen(input.metricsListen ?? DEFAULT_WORKER_OPTIONS.metricsListen),
    logLevel: parseLogLevel(input.logLevel, 'logLevel') ?? DEFAULT_WORKER_OPTIONS.logLevel,
    logFormat: parseLogFormat(input.logFormat, 'logFormat'),
    containerSocket: nonEmpty(
      'containerSocket',
      input.containerSocket ?? DEFAULT_WORKER_OPTIONS.containerSocket,
    ),
    containerVolumes: containerVolumes(
      input.containerVolumes ?? [...DEFAULT_WORKER_OPTIONS.containerVolumes],
    ),
    containerOwner: containerOwner(input.containerOwner ?? hostname()),
  };
}

/**
 * Options from the environment (`NATS_URL`, `NATS_USER`/`NATS_PASSWORD`, `NATS_TOKEN`, `NATS_CREDS`,
 * `TRIBUTARY_NATS_PREFIX`, `TRIBUTARY_HEARTBEAT_INTERVAL_MS`,
 * `TRIBUTARY_SHUTDOWN_GRACE_MS`, `TRIBUTARY_TASK_ACK_WAIT_MS`, `TRIBUTARY_OUTPUT_INLINE_LIMIT`, `TRIBUTARY_OUTPUT_MAX_BYTES`,
 * `TRIBUTARY_SECRETS_FILE`, `TRIBUTARY_SERVER`, `TRIBUTARY_METRICS_LISTEN`, `TRIBUTARY_LOG_LEVEL`,
 * `TRIBUTARY_LOG_FORMAT`, `TRIBUTARY_CONTAINER_SOCKET` (else `DOCKER_HOST`), `TRIBUTARY_CONTAINER_VOLUMES`,
 * `TRIBUTARY_CONTAINER_OWNER`) and flags;
 * flags win. Empty environment variables count as unset.
 * @throws TributaryError `InvalidArgument` naming the field, and the variable when the value came from one.
 */
export function workerOptionsFromEnv(
  env: Record<string, string | undefined>,
  flags: Partial<WorkerOptionsInput>,
): WorkerOptions {
  const fromEnv: Partial<WorkerOptionsInput> = {};
  if (env.NATS_URL) fromEnv.natsUrl = env.NATS_URL;
  // Checked here: its errors name the variables themselves.
  const natsAuth = natsAuthFromEnv(env);
  if (natsAuth !== undefined) fromEnv.natsAuth = natsAuth;
  if (env.TRIBUTARY_NATS_PREFIX) fromEnv.prefix = env.TRIBUTARY_NATS_PREFIX;
  // Digit strings are accepted and checked by compileWorkerOptions, which names a bad value.
  if (env.TRIBUTARY_HEARTBEAT_INTERVAL_MS) fromEnv.heartbeatIntervalMs = env.TRIBUTARY_HEARTBEAT_INTERVAL_MS;
  if (env.TRIBUTARY_SHUTDOWN_GRACE_MS) fromEnv.shutdownGraceMs = env.TRIBUTARY_SHUTDOWN_GRACE_MS;
  if (env.TRIBUTARY_TASK_ACK_WAIT_MS) fromEnv.taskAckWaitMs = env.TRIBUTARY_TASK_ACK_WAIT_MS;
  if (env.TRIBUTARY_OUTPUT_INLINE_LIMIT) fromEnv.outputInlineLimitBytes = env.TRIBUTARY_OUTPUT_INLINE_LIMIT;
  if (env.TRIBUTARY_OUTPUT_MAX_BYTES) fromEnv.outputMaxBytes = env.TRIBUTARY_OUTPUT_MAX_BYTES;
  if (env.TRIBUTARY_SECRETS_FILE) fromEnv.secretsFile = env.TRIBUTARY_SECRETS_FILE;
  if (env.TRIBUTARY_SERVER) fromEnv.server = env.TRIBUTARY_SERVER;
  if (env.TRIBUTARY_METRICS_LISTEN) fromEnv.metricsListen = env.TRIBUTARY_METRICS_LISTEN;
  if (env.TRIBUTARY_LOG_LEVEL) fromEnv.logLevel = env.TRIBUTARY_LOG_LEVEL;
  if (env.TRIBUTARY_LOG_FORMAT) fromEnv.logFormat = env.TRIBUTARY_LOG_FORMAT;
  // DOCKER_HOST is where every Docker client looks; the worker's own variable wins over it.
  const containerSocket = env.TRIBUTARY_CONTAINER_SOCKET || env.DOCKER_HOST;
  if (containerSocket) fromEnv.containerSocket = containerSocket;
  if (env.TRIBUTARY_CONTAINER_VOLUMES) fromEnv.containerVolumes = env.TRIBUTARY_CONTAINER_VOLUMES;
  if (env.TRIBUTARY_CONTAINER_OWNER) fromEnv.containerOwner = env.TRIBUTARY_CONTAINER_OWNER;
  const definedFlags = Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
  const merged = { ...fromEnv, ...definedFlags };
  try {
    return compileWorkerOptions(merged);
  } catch (error) {
    throw nameVariable(error, fromEnv, definedFlags);
  }
}

// The option each variable sets, so that an error about a value from the environment names the variable.
const ENV_VARIABLES: Partial<Record<keyof WorkerOptionsInput, string>> = {
  natsUrl: 'NATS_URL',
  prefix: 'TRIBUTARY_NATS_PREFIX',
  heartbeatIntervalMs: 'TRIBUTARY_HEARTBEAT_INTERVAL_MS',
  shutdownGraceMs: 'TRIBUTARY_SHUTDOWN_GRACE_MS',
  taskAckWaitMs: 'TRIBUTARY_TASK_ACK_WAIT_MS',
  outputInlineLimitBytes: 'TRIBUTARY_OUTPUT_INLINE_LIMIT',
  outputMaxBytes: 'TRIBUTARY_OUTPUT_MAX_BYTES',
  secretsFile: 'TRIBUTARY_SECRETS_FILE',
  server: 'TRIBUTARY_SERVER',
  metricsListen: 'TRIBUTARY_METRICS_LISTEN',
  logLevel: 'TRIBUTARY_LOG_LEVEL',
  logFormat: 'TRIBUTARY_LOG_FORMAT',
  containerSocket: 'TRIBUTARY_CONTAINER_SOCKET',
  containerVolumes: 'TRIBUTARY_CONTAINER_VOLUMES',
  containerOwner: 'TRIBUTARY_CONTAINER_OWNER',
};

/** `outputMaxBytes must be …` becomes `TRIBUTARY_OUTPUT_MAX_BYTES (outputMaxBytes) must be …`. */
function nameVariable(error: unknown, fromEnv: Partial<WorkerOptionsInput>, flags: object): unknown {
  if (!(error instanceof TributaryError)) return error;
  for (const [field, variable] of Object.entries(ENV_VARIABLES)) {
    if (!(field in fromEnv) || field in flags || !error.message.startsWith(`${field} `)) continue;
    const message = `${variable} (${field})${error.message.slice(field.length)}`;
    return new TributaryError(error.code, message, { problems: [{ message }], cause: error });
  }
  return error;
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

/** Absolute host folders, from a list or one comma-separated string; empty entries are dropped. */
function containerVolumes(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(',').map((path) => path.trim()) : value;
  if (!Array.isArray(list))
    invalid(`containerVolumes must be a list of absolute paths, got ${JSON.stringify(value)}`);
  const paths = (list as unknown[]).filter((path) => path !== '');
  paths.forEach((path, index) => {
    if (typeof path !== 'string' || !isAbsolute(path)) {
      invalid(`containerVolumes must hold absolute paths, got ${JSON.stringify(path)} (entry ${index})`);
    }
  });
  return [...new Set(paths as string[])];
}

/** A label value container filters can match exactly (`label=tributary.worker=<owner>`). */
function containerOwner(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.:-]+$/.test(value)) {
    invalid(`containerOwner must be letters, digits, _ . : and -, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** `host:port` (`[::1]:7070` for IPv6), with a port from 1 to 65535: what gRPC dials. */
function serverAddress(value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : value;
  const match =
    typeof text === 'string' ? /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text) : null;
  const port = match === null ? 0 : Number(match[2]);
  if (match === null || port < 1 || port > 65535) {
    invalid(`server must be a host:port address such as 127.0.0.1:7070, got ${JSON.stringify(value)}`);
  }
  return text as string;
}

/** `off` is no endpoint (null); anything else must be a host:port to listen on. */
function metricsListen(value: unknown): string | null {
  const text = typeof value === 'string' ? value.trim() : value;
  if (text === 'off') return null;
  if (typeof text !== 'string' || parseListenAddress(text) === undefined) {
    invalid(`metricsListen must be host:port (e.g. 127.0.0.1:9465) or off, got ${JSON.stringify(value)}`);
  }
  return text;
}

function byteSize(field: string, value: unknown): number {
  const bytes = typeof value === 'string' ? parseByteSize(value) : value;
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 1) {
    invalid(
      `${field} must be a positive number of bytes, optionally with a unit (e.g. 1048576, 512KiB, 1MiB), ` +
        `got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`,
    );
  }
  return bytes;
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
