import { Code, TributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { coordinatorOptionsFromEnv } from './main.js';
import { compileCoordinatorOptions, DEFAULT_COORDINATOR_OPTIONS } from './options.js';

describe('coordinator options', () => {
  it('defaults to a laptop setup', () => {
    expect(compileCoordinatorOptions({})).toEqual(DEFAULT_COORDINATOR_OPTIONS);
    expect(DEFAULT_COORDINATOR_OPTIONS.databaseUrl).toMatch(/^postgres:\/\/.*127\.0\.0\.1:5432/);
  });

  it.each([
    [{ listen: 'localhost' }, 'coordinator option listen must be host:port'],
    [{ listen: '0.0.0.0:99999' }, 'coordinator option listen must be host:port'],
    [
      { databaseUrl: 'mysql://x' },
      "coordinator option databaseUrl must be a postgres:// URL, got 'mysql://x'",
    ],
    [{ prefix: 'a.b' }, "coordinator option prefix must be letters, digits, '_' or '-', got 'a.b'"],
    [{ heartbeatTimeoutMs: 0 }, 'coordinator option heartbeatTimeoutMs must be a positive integer, got 0'],
    [{ maxBatch: 1.5 }, 'coordinator option maxBatch must be a positive integer, got 1.5'],
    [{ workerRetentionMs: -1 }, 'coordinator option workerRetentionMs must be a positive integer, got -1'],
    [
      { heartbeatTimeoutMs: 20_000, workerRetentionMs: 10_000 },
      'coordinator option workerRetentionMs must be at least heartbeatTimeoutMs (20000), got 10000',
    ],
  ])('rejects %o naming the field', (input, message) => {
    const error = (() => {
      try {
        compileCoordinatorOptions(input);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe(Code.InvalidArgument);
    expect((error as TributaryError).message).toContain(message);
  });

  it('reads DATABASE_URL and NATS_URL from the environment, with flags taking precedence', () => {
    const env = {
      DATABASE_URL: 'postgres://env/db',
      NATS_URL: 'nats://env:4222',
      TRIBUTARY_HEARTBEAT_TIMEOUT_MS: '5000',
    };
    const fromEnv = coordinatorOptionsFromEnv(env);
    expect(fromEnv).toMatchObject({
      databaseUrl: 'postgres://env/db',
      natsUrl: 'nats://env:4222',
      heartbeatTimeoutMs: 5000,
    });
    const withFlags = coordinatorOptionsFromEnv(env, {
      databaseUrl: 'postgres://flag/db',
      listen: '0.0.0.0:9000',
    });
    expect(withFlags).toMatchObject({
      databaseUrl: 'postgres://flag/db',
      listen: '0.0.0.0:9000',
      natsUrl: 'nats://env:4222',
    });
  });

  it('reads NATS credentials from NATS_USER and NATS_PASSWORD, naming a missing half', () => {
    expect(coordinatorOptionsFromEnv({ NATS_USER: 'tributary', NATS_PASSWORD: 'pw' }).natsAuth).toEqual({
      user: 'tributary',
      password: 'pw',
    });
    expect(coordinatorOptionsFromEnv({}).natsAuth).toBeUndefined();
    expect(() => coordinatorOptionsFromEnv({ NATS_USER: 'tributary' })).toThrow(
      'NATS_USER is set without NATS_PASSWORD',
    );
  });

  it('reads the worker retention from TRIBUTARY_WORKER_RETENTION_MS, ten minutes by default', () => {
    expect(coordinatorOptionsFromEnv({}).workerRetentionMs).toBe(600_000);
    expect(coordinatorOptionsFromEnv({ TRIBUTARY_WORKER_RETENTION_MS: '60000' }).workerRetentionMs).toBe(
      60_000,
    );
  });

  it('reads the metrics address from TRIBUTARY_METRICS_LISTEN, 127.0.0.1:9464 by default, off for none', () => {
    expect(coordinatorOptionsFromEnv({}).metricsListen).toBe('127.0.0.1:9464');
    expect(coordinatorOptionsFromEnv({ TRIBUTARY_METRICS_LISTEN: '[::]:0' }).metricsListen).toBe('[::]:0');
    expect(coordinatorOptionsFromEnv({ TRIBUTARY_METRICS_LISTEN: 'off' }).metricsListen).toBeNull();
    expect(() => coordinatorOptionsFromEnv({ TRIBUTARY_METRICS_LISTEN: 'localhost' })).toThrow(
      "coordinator option metricsListen (TRIBUTARY_METRICS_LISTEN) must be host:port or off, got 'localhost'",
    );
  });

  it('names a malformed number in the environment', () => {
    expect(() => coordinatorOptionsFromEnv({ TRIBUTARY_HEARTBEAT_TIMEOUT_MS: '5s' })).toThrow(
      /heartbeatTimeoutMs must be a positive integer, got NaN/,
    );
  });

  it('reads the log level and format from TRIBUTARY_LOG_LEVEL and TRIBUTARY_LOG_FORMAT, naming a bad value', () => {
    expect(coordinatorOptionsFromEnv({})).toMatchObject({ logLevel: 'info', logFormat: undefined });
    expect(
      coordinatorOptionsFromEnv({ TRIBUTARY_LOG_LEVEL: 'debug', TRIBUTARY_LOG_FORMAT: 'json' }),
    ).toMatchObject({ logLevel: 'debug', logFormat: 'json' });
    expect(() => coordinatorOptionsFromEnv({ TRIBUTARY_LOG_LEVEL: 'trace' })).toThrow(
      "TRIBUTARY_LOG_LEVEL must be one of 'debug', 'info', 'warn', 'error', got 'trace'",
    );
    expect(() => coordinatorOptionsFromEnv({ TRIBUTARY_LOG_FORMAT: 'text' })).toThrow(
      "TRIBUTARY_LOG_FORMAT must be one of 'json', 'pretty', got 'text'",
    );
    expect(() => compileCoordinatorOptions({ logFormat: 'xml' as never })).toThrow(
      "coordinator option logFormat must be one of 'json', 'pretty', got 'xml'",
    );
  });
});
