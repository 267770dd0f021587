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
  /** How often due retries and lost tasks are looked for. @default 500 */
  timerIntervalMs: number;
  /** How often outbox rows left behind (crash, NATS down) are re-published. @default 2000 */
  outboxRelayIntervalMs: number;
  /** Most worker events applied in one transaction. @default 1000 */
  maxBatch: number;
  /** How long a worker may hold a task message without progress before JetStream redelivers it. @default 30000 */
  taskAckWaitMs: number;
}

export const DEFAULT_COORDINATOR_OPTIONS: CoordinatorOptions = {
  listen: '127.0.0.1:7070',
  databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
  natsUrl: 'nats://127.0.0.1:4222',
  prefix: 'trib',
  heartbeatTimeoutMs: 15_000,
  timerIntervalMs: 500,
  outboxRelayIntervalMs: 2_000,
  maxBatch: 1_000,
  taskAckWaitMs: 30_000,
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
    'outboxRelayIntervalMs',
    'maxBatch',
    'taskAckWaitMs',
  ] as const) {
    const value = options[field];
    if (!Number.isInteger(value) || value <= 0) fail(field, `must be a positive integer, got ${value}`);
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
