import type { NatsAuth } from '@tributary/bus';
import { DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_RETENTION_MS } from '@tributary/bus';
import { Code, TributaryError } from '@tributary/core';
import {
  DEFAULT_LOG_LEVEL,
  type LogFormat,
  type LogLevel,
  parseListenAddress,
  parseLogFormat,
  parseLogLevel,
} from '@tributary/telemetry';

/** Everything a coordinator can be configured with. Only `main.ts` reads the environment. */
export interface CoordinatorOptions {
  /** gRPC listen address, host:port. @default "127.0.0.1:7070" */
  listen: string;
  /** Postgres URL. @default "postgres://postgres@127.0.0.1:5432/postgres" */
  databaseUrl: string;
  /** NATS server URL(s), comma-separated. @default "nats://127.0.0.1:4222" */
  natsUrl: string;
  /** NATS credentials (`NATS_USER`/`NATS_PASSWORD`, `NATS_TOKEN` or `NATS_CREDS`). @default none */
  natsAuth?: NatsAuth;
  /** Prefix of every NATS subject, stream and bucket, so several installations can share a server. @default "trib" */
  prefix: string;
  /** A running task whose worker sent no heartbeat for this long is lost and retried. @default 15000 */
  heartbeatTimeoutMs: number;
  /**
   * How long the leader's lease holds without renewal: when the leader dies, another coordinator takes
   * over within about this long. @default 5000
   */
  leaseTtlMs: number;
  /** How often due retries and lost tasks are looked for. @default 500 */
  timerIntervalMs: number;
  /** How often outbox rows left behind (crash, NATS down) are re-published. @default 2000 */
  outboxRelayIntervalMs: number;
  /**
   * Most task attempts one run-loop tick dispatches; a burst of ready tasks goes out over several
   * ticks. @default 1000
   */
  maxDispatchesPerTick: number;
  /** Most worker events applied in one transaction. @default 1000 */
  maxBatch: number;
  /**
   * How long a stopped or unresponsive worker stays in the worker registry (ListWorkers) after its last
   * heartbeat. At least `heartbeatTimeoutMs`, so that no live worker is dropped. @default 600000
   */
  workerRetentionMs: number;
  /**
   * Task log lines older than this are deleted from the `<PREFIX>_LOGS` stream
   * (`TRIBUTARY_LOG_RETENTION`, e.g. `7d`, `12h`). @default 604800000 (7 days)
   */
  logRetentionMs: number;
  /**
   * Most bytes of task log lines the `<PREFIX>_LOGS` stream keeps; the oldest go first beyond it
   * (`TRIBUTARY_LOG_MAX_BYTES`, e.g. `1GiB`). @default 1073741824 (1 GiB)
   */
  logMaxBytes: number;
  /**
   * Where Prometheus scrapes the coordinator's metrics (`GET /metrics`), host:port (port 0 picks a free
   * one), or null (`off`) for no endpoint (`TRIBUTARY_METRICS_LISTEN`). @default "127.0.0.1:9464"
   */
  metricsListen: string | null;
  /** Service log lines below this level are dropped (`TRIBUTARY_LOG_LEVEL`). @default "info" */
  logLevel: LogLevel;
  /**
   * Service log form (`TRIBUTARY_LOG_FORMAT`): JSON lines, or text for a person.
   * @default "pretty" when stderr is a terminal, "json" otherwise
   */
  logFormat: LogFormat | undefined;
  /**
   * Safeguards turned off, for the fault-injection suite's negative controls only: they prove that the
   * safeguards carry the weight. A coordinator with any of them set logs a warning at start.
   */
  unsafe: UnsafeSwitches;
}

/** Test-only switches; every one defaults to false. */
export interface UnsafeSwitches {
  /** Never look for lost tasks (`TRIBUTARY_UNSAFE_DISABLE_LOST_TASK_SWEEP`). */
  disableLostTaskSweep: boolean;
  /**
   * Apply a worker's result for any attempt of an unfinished task, as a system without attempt fencing
   * would (`TRIBUTARY_UNSAFE_DISABLE_FENCING`).
   */
  disableFencing: boolean;
}

export const DEFAULT_COORDINATOR_OPTIONS: CoordinatorOptions = {
  listen: '127.0.0.1:7070',
  databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
  natsUrl: 'nats://127.0.0.1:4222',
  prefix: 'trib',
  heartbeatTimeoutMs: 15_000,
  leaseTtlMs: 5_000,
  timerIntervalMs: 500,
  outboxRelayIntervalMs: 2_000,
  maxBatch: 1_000,
  maxDispatchesPerTick: 1_000,
  workerRetentionMs: 600_000,
  logRetentionMs: DEFAULT_LOG_RETENTION_MS,
  logMaxBytes: DEFAULT_LOG_MAX_BYTES,
  metricsListen: '127.0.0.1:9464',
  logLevel: DEFAULT_LOG_LEVEL,
  logFormat: undefined,
  unsafe: { disableLostTaskSweep: false, disableFencing: false },
};

/** Fills defaults and validates; throws an InvalidArgument error naming the bad field. */
export function compileCoordinatorOptions(input: Partial<CoordinatorOptions>): CoordinatorOptions {
  const options = { ...DEFAULT_COORDINATOR_OPTIONS, ...dropUndefined(input) };
  if (!/^[^:\s]+:\d{1,5}$/.test(options.listen) || Number(options.listen.split(':').at(-1)) > 65_535) {
    fail('listen', `must be host:port, got '${options.listen}'`);
  }
  if (!/^postgres(ql)?:\/\//.test(options.databaseUrl))
    fail('databaseUrl', `must be a postgres:// URL, got '${options.databaseUrl}'`);
  if (options.natsUrl.trim() === '') fail('natsUrl', 'must not be empty');
  if (!/^[A-Za-z0-9_-]+$/.test(options.prefix))
    fail('prefix', `must be letters, digits, '_' or '-', got '${options.prefix}'`);
  for (const field of [
    'heartbeatTimeoutMs',
    'timerIntervalMs',
    'leaseTtlMs',
    'outboxRelayIntervalMs',
    'maxBatch',
    'maxDispatchesPerTick',
    'workerRetentionMs',
    'logRetentionMs',
    'logMaxBytes',
  ] as const) {
    const value = options[field];
    if (!Number.isInteger(value) || value <= 0) fail(field, `must be a positive integer, got ${value}`);
  }
  if (options.workerRetentionMs < options.heartbeatTimeoutMs) {
    fail(
      'workerRetentionMs',
      `must be at least heartbeatTimeoutMs (${options.heartbeatTimeoutMs}), got ${options.workerRetentionMs}`,
    );
  }
  if (options.metricsListen?.trim() === 'off') options.metricsListen = null;
  if (options.metricsListen !== null && parseListenAddress(options.metricsListen) === undefined) {
    fail(
      'metricsListen',
      `(TRIBUTARY_METRICS_LISTEN) must be host:port or off, got '${options.metricsListen}'`,
    );
  }
  options.logLevel = parseLogLevel(options.logLevel, 'coordinator option logLevel') ?? DEFAULT_LOG_LEVEL;
  options.logFormat = parseLogFormat(options.logFormat, 'coordinator option logFormat');
  return options;
}

function fail(field: keyof CoordinatorOptions, message: string): never {
  throw new TributaryError(Code.InvalidArgument, `coordinator option ${field} ${message}`, {
    problems: [{ field, message }],
  });
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
