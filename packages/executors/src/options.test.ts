import { Code } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { compileExecutorOptions, DEFAULT_EXECUTOR_OPTIONS } from './options.js';

describe('compileExecutorOptions', () => {
  it('fills every option from the defaults', () => {
    expect(compileExecutorOptions()).toEqual(DEFAULT_EXECUTOR_OPTIONS);
    expect(DEFAULT_EXECUTOR_OPTIONS).toMatchObject({ killGraceMs: 5000, logTailLines: 20 });
    expect(DEFAULT_EXECUTOR_OPTIONS.maxThreads).toBeGreaterThanOrEqual(1);
  });

  it('keeps the options given', () => {
    const baseEnv = { PATH: '/bin' };
    const connections = (name: string) => (name === 'w' ? 'postgres://h/db' : undefined);
    const secrets = (name: string) => (name === 'API_TOKEN' ? 't0ken' : undefined);
    const options = {
      maxThreads: 3,
      killGraceMs: 0,
      logTailLines: 0,
      baseEnv,
      connections,
      secrets,
      dags: null,
      containerSocket: 'unix:///run/podman/podman.sock',
      allowedVolumes: ['/data'],
      containerOwner: 'worker-a',
    };
    expect(compileExecutorOptions(options)).toEqual(options);
  });

  it('configures no DAG trigger by default: dag tasks fail DagTriggerNotConfigured', () => {
    expect(compileExecutorOptions().dags).toBeNull();
  });

  it('configures no sql connection by default', () => {
    expect(compileExecutorOptions().connections('warehouse')).toBeUndefined();
  });

  it.each([
    [{ maxThreads: 0 }, "executor option 'maxThreads' must be an integer >= 1, got 0"],
    [{ maxThreads: 1.5 }, "executor option 'maxThreads' must be an integer >= 1, got 1.5"],
    [{ killGraceMs: -1 }, "executor option 'killGraceMs' must be an integer >= 0, got -1"],
    [{ logTailLines: Number.NaN }, "executor option 'logTailLines' must be an integer >= 0, got NaN"],
  ])('rejects %o with an error naming the field', (options, message) => {
    expect(() => compileExecutorOptions(options)).toThrow(message);
    expect(() => compileExecutorOptions(options)).toThrow(
      expect.objectContaining({ code: Code.InvalidArgument }),
    );
  });
});
