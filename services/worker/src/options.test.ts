import { hostname } from 'node:os';
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
      outputInlineLimitBytes: 1_048_576,
      outputMaxBytes: 64 * 1_048_576,
    });
    expect(options.workerId).toMatch(/^.+-\d+-[0-9a-f]{4}$/);
    expect(options).toMatchObject({
      containerSocket: '/var/run/docker.sock',
      containerVolumes: [],
      containerOwner: hostname(),
    });
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

  it('accepts output sizes in bytes or with a unit', () => {
    const options = compileWorkerOptions({ outputInlineLimitBytes: '512KiB', outputMaxBytes: '2 MiB' });
    expect(options).toMatchObject({ outputInlineLimitBytes: 524_288, outputMaxBytes: 2_097_152 });
    expect(compileWorkerOptions({ outputInlineLimitBytes: 1000, outputMaxBytes: '1000' })).toMatchObject({
      outputInlineLimitBytes: 1000,
      outputMaxBytes: 1000,
    });
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
    [
      { outputInlineLimitBytes: '1 TiB' },
      'outputInlineLimitBytes must be a positive number of bytes, optionally with a unit (e.g. 1048576, ' +
        '512KiB, 1MiB), got "1 TiB"',
    ],
    [
      { outputMaxBytes: 0 },
      'outputMaxBytes must be a positive number of bytes, optionally with a unit (e.g. 1048576, 512KiB, ' +
        '1MiB), got 0',
    ],
    [
      { outputInlineLimitBytes: '2MiB', outputMaxBytes: '1MiB' },
      'outputInlineLimitBytes must not exceed outputMaxBytes, got 2097152 > 1048576',
    ],
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

  it('reads NATS credentials from NATS_TOKEN or NATS_CREDS, refusing both at once', () => {
    expect(workerOptionsFromEnv({ NATS_TOKEN: 'secret-token' }, {}).natsAuth).toEqual({
      token: 'secret-token',
    });
    expect(workerOptionsFromEnv({ NATS_CREDS: '/run/nats/worker.creds' }, {}).natsAuth).toEqual({
      credsFile: '/run/nats/worker.creds',
    });
    expect(() => workerOptionsFromEnv({ NATS_TOKEN: 't', NATS_CREDS: '/c' }, {})).toThrow(/only one of/);
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

  it('reads the output limits, with units', () => {
    const options = workerOptionsFromEnv(
      { TRIBUTARY_OUTPUT_INLINE_LIMIT: '256KiB', TRIBUTARY_OUTPUT_MAX_BYTES: '128MiB' },
      {},
    );
    expect(options).toMatchObject({ outputInlineLimitBytes: 262_144, outputMaxBytes: 134_217_728 });
  });

  it('names the variable a bad value came from', () => {
    expect(messageOf(() => workerOptionsFromEnv({ TRIBUTARY_OUTPUT_MAX_BYTES: 'lots' }, {}))).toBe(
      'TRIBUTARY_OUTPUT_MAX_BYTES (outputMaxBytes) must be a positive number of bytes, optionally with a ' +
        'unit (e.g. 1048576, 512KiB, 1MiB), got "lots"',
    );
    expect(messageOf(() => workerOptionsFromEnv({ TRIBUTARY_OUTPUT_INLINE_LIMIT: '2GiB' }, {}))).toBe(
      'TRIBUTARY_OUTPUT_INLINE_LIMIT (outputInlineLimitBytes) must not exceed outputMaxBytes, got ' +
        '2147483648 > 67108864',
    );
    // A flag that overrides the variable is what was wrong: the message names the option alone.
    expect(
      messageOf(() => workerOptionsFromEnv({ TRIBUTARY_OUTPUT_MAX_BYTES: '1MiB' }, { outputMaxBytes: 'x' })),
    ).toMatch(/^outputMaxBytes must be/);
  });

  it('reads the coordinator address for dag tasks from TRIBUTARY_SERVER or --server, and checks it', () => {
    expect(workerOptionsFromEnv({}, {}).server).toBe('127.0.0.1:7070');
    expect(workerOptionsFromEnv({ TRIBUTARY_SERVER: 'coordinator:7070' }, {}).server).toBe(
      'coordinator:7070',
    );
    expect(workerOptionsFromEnv({ TRIBUTARY_SERVER: 'a:1' }, { server: '[::1]:7071' }).server).toBe(
      '[::1]:7071',
    );
    expect(messageOf(() => workerOptionsFromEnv({ TRIBUTARY_SERVER: 'http://coordinator' }, {}))).toBe(
      'TRIBUTARY_SERVER (server) must be a host:port address such as 127.0.0.1:7070, got "http://coordinator"',
    );
    expect(messageOf(() => compileWorkerOptions({ server: 'host:70000' }))).toBe(
      'server must be a host:port address such as 127.0.0.1:7070, got "host:70000"',
    );
  });

  it('reads the metrics address from TRIBUTARY_METRICS_LISTEN, 127.0.0.1:9465 by default, off for none', () => {
    expect(workerOptionsFromEnv({}, {}).metricsListen).toBe('127.0.0.1:9465');
    expect(workerOptionsFromEnv({ TRIBUTARY_METRICS_LISTEN: '0.0.0.0:9100' }, {}).metricsListen).toBe(
      '0.0.0.0:9100',
    );
    expect(workerOptionsFromEnv({ TRIBUTARY_METRICS_LISTEN: 'off' }, {}).metricsListen).toBeNull();
    expect(messageOf(() => workerOptionsFromEnv({ TRIBUTARY_METRICS_LISTEN: '9100' }, {}))).toBe(
      'TRIBUTARY_METRICS_LISTEN (metricsListen) must be host:port (e.g. 127.0.0.1:9465) or off, got "9100"',
    );
  });

  it('treats empty variables as unset', () => {
    expect(workerOptionsFromEnv({ NATS_URL: '' }, {}).natsUrl).toBe('nats://127.0.0.1:4222');
  });

  it('reads the log level and format from TRIBUTARY_LOG_LEVEL and TRIBUTARY_LOG_FORMAT, naming a bad value', () => {
    expect(workerOptionsFromEnv({}, {})).toMatchObject({ logLevel: 'info', logFormat: undefined });
    expect(
      workerOptionsFromEnv({ TRIBUTARY_LOG_LEVEL: 'warn', TRIBUTARY_LOG_FORMAT: 'pretty' }, {}),
    ).toMatchObject({ logLevel: 'warn', logFormat: 'pretty' });
    expect(messageOf(() => workerOptionsFromEnv({ TRIBUTARY_LOG_LEVEL: 'verbose' }, {}))).toBe(
      "TRIBUTARY_LOG_LEVEL (logLevel) must be one of 'debug', 'info', 'warn', 'error', got 'verbose'",
    );
    expect(messageOf(() => workerOptionsFromEnv({ TRIBUTARY_LOG_FORMAT: 'text' }, {}))).toBe(
      "TRIBUTARY_LOG_FORMAT (logFormat) must be one of 'json', 'pretty', got 'text'",
    );
  });

  it('reads the container engine socket from TRIBUTARY_CONTAINER_SOCKET, else DOCKER_HOST', () => {
    expect(workerOptionsFromEnv({ DOCKER_HOST: 'unix:///run/podman/podman.sock' }, {}).containerSocket).toBe(
      'unix:///run/podman/podman.sock',
    );
    expect(
      workerOptionsFromEnv(
        { DOCKER_HOST: 'tcp://docker:2375', TRIBUTARY_CONTAINER_SOCKET: '/run/docker.sock' },
        {},
      ).containerSocket,
    ).toBe('/run/docker.sock');
  });

  it('reads the allowed volume folders and the container owner, naming a bad value', () => {
    const options = workerOptionsFromEnv(
      { TRIBUTARY_CONTAINER_VOLUMES: '/data, /scratch,', TRIBUTARY_CONTAINER_OWNER: 'etl-1' },
      {},
    );
    expect(options).toMatchObject({ containerVolumes: ['/data', '/scratch'], containerOwner: 'etl-1' });
    expect(messageOf(() => workerOptionsFromEnv({ TRIBUTARY_CONTAINER_VOLUMES: '/data,data' }, {}))).toBe(
      'TRIBUTARY_CONTAINER_VOLUMES (containerVolumes) must hold absolute paths, got "data" (entry 1)',
    );
    expect(messageOf(() => compileWorkerOptions({ containerOwner: 'a b' }))).toBe(
      'containerOwner must be letters, digits, _ . : and -, got "a b"',
    );
  });
});
