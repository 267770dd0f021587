import { isAbsolute } from 'node:path';
import { Code, TributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { compileWorkerOptions, DEFAULT_WORKER_OPTIONS, workerOptionsFromEnv } from './options.js';

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe(Code.InvalidArgument);
    return (error as TributaryError).message;
  }
  throw new Error('expected an error');
}

describe('compileWorkerOptions', () => {
  it('fills every default', () => {
    const options = compileWorkerOptions({});
    expect(options).toMatchObject({
      natsUrl: 'nats://127.0.0.1:4222',
      prefix: 'trib',
      pools: ['default'],
      concurrency: 8,
      heartbeatIntervalMs: 2_000,
      shutdownGraceMs: 30_000,
      killGraceMs: 5_000,
      taskAckWaitMs: 30_000,
    });
    expect(options.workerId).toMatch(/^.+-\d+-[0-9a-f]{4}$/);
    expect(options.cacheDir).toMatch(/tributary-bundles$/);
    expect(DEFAULT_WORKER_OPTIONS.concurrency).toBe(8);
  });

  it('gives every worker its own default id', () => {
    expect(compileWorkerOptions({}).workerId).not.toBe(compileWorkerOptions({}).workerId);
  });

  it('accepts digit strings for numbers and a comma-separated pool list', () => {
    const options = compileWorkerOptions({ concurrency: '4', pools: 'a, b,a', heartbeatIntervalMs: '500' });
    expect(options.concurrency).toBe(4);
    expect(options.heartbeatIntervalMs).toBe(500);
    expect(options.pools).toEqual(['a', 'b']);
  });

  it('makes the cache dir absolute', () => {
    expect(isAbsolute(compileWorkerOptions({ cacheDir: 'cache' }).cacheDir)).toBe(true);
  });

  it.each([
    [{ concurrency: 0 }, 'concurrency must be a positive integer, got 0'],
    [{ concurrency: 1.5 }, 'concurrency must be a positive integer, got 1.5'],
    [{ concurrency: 'many' }, 'concurrency must be a positive integer, got "many"'],
    [{ heartbeatIntervalMs: -1 }, 'heartbeatIntervalMs must be a positive integer, got -1'],
    [{ shutdownGraceMs: -5 }, 'shutdownGraceMs must be an integer >= 0, got -5'],
    [{ killGraceMs: Number.NaN }, 'killGraceMs must be an integer >= 0, got NaN'],
    [{ taskAckWaitMs: 0 }, 'taskAckWaitMs must be a positive integer, got 0'],
    [{ pools: [] }, 'pools must be a non-empty list of pool names, got []'],
    [{ pools: ['ok', 'no.dots'] }, 'pools[1] must match /^[A-Za-z0-9_-]+$/, got "no.dots"'],
    [{ prefix: 'a b' }, 'prefix must match /^[A-Za-z0-9_-]+$/, got "a b"'],
    [{ natsUrl: ' ' }, 'natsUrl must be a non-empty string, got " "'],
    [{ workerId: '' }, 'workerId must be a non-empty string, got ""'],
    [{ cacheDir: '' }, 'cacheDir must be a non-empty string, got ""'],
    [{ concurency: 4 }, "unknown worker option 'concurency'"],
  ])('rejects %j with a message naming the field', (input, message) => {
    expect(messageOf(() => compileWorkerOptions(input as never))).toBe(message);
  });
});

describe('workerOptionsFromEnv', () => {
  it('reads NATS_URL and TRIBUTARY_NATS_PREFIX', () => {
    const options = workerOptionsFromEnv({ NATS_URL: 'nats://nats:4222', TRIBUTARY_NATS_PREFIX: 'prod' }, {});
    expect(options.natsUrl).toBe('nats://nats:4222');
    expect(options.prefix).toBe('prod');
  });

  it('lets flags override the environment and ignores undefined flags', () => {
    const options = workerOptionsFromEnv(
      { NATS_URL: 'nats://nats:4222', TRIBUTARY_NATS_PREFIX: 'prod' },
      { natsUrl: 'nats://other:4222', prefix: undefined },
    );
    expect(options.natsUrl).toBe('nats://other:4222');
    expect(options.prefix).toBe('prod');
  });

  it('reads the heartbeat interval and shutdown grace, and names a bad value', () => {
    const options = workerOptionsFromEnv(
      { TRIBUTARY_HEARTBEAT_INTERVAL_MS: '500', TRIBUTARY_SHUTDOWN_GRACE_MS: '1000' },
      {},
    );
    expect(options).toMatchObject({ heartbeatIntervalMs: 500, shutdownGraceMs: 1000 });
    expect(() => workerOptionsFromEnv({ TRIBUTARY_HEARTBEAT_INTERVAL_MS: 'soon' }, {})).toThrow(
      /heartbeatIntervalMs/,
    );
  });

  it('treats empty variables as unset', () => {
    expect(workerOptionsFromEnv({ NATS_URL: '' }, {}).natsUrl).toBe('nats://127.0.0.1:4222');
  });
});
