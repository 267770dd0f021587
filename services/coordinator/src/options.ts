import { Code, TributaryError } from '@tributary/core';

/** Everything a coordinator can be configured with. Only `main.ts` reads the environment. */
export interface CoordinatorOptions {
  /** gRPC listen address, host:port. @default "127.0.0.1:7070" */
  listen: string;
  /** Postgres URL. @default "postgres://postgres@127.0.0.1:5432/postgres" */
  databaseUrl: string;
  /** NATS server URL(s), comma-separated. @default "nats://127.0.0.1:4222" */
  natsUrl: string;
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
