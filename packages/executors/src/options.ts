import { availableParallelism, hostname } from 'node:os';
import { isAbsolute } from 'node:path';
import { Code, TributaryError } from '@tributary/core';
import type { ExecutorOptions } from './types.js';

/** The defaults {@link ExecutorOptions} are filled from. */
export const DEFAULT_EXECUTOR_OPTIONS: Required<ExecutorOptions> = {
  maxThreads: availableParallelism(),
  killGraceMs: 5000,
  logTailLines: 20,
  // The live object, not a copy: a worker that edits its environment before starting tasks is honoured.
  baseEnv: process.env,
  connections: () => undefined,
  secrets: () => undefined,
  dags: null,
  containerSocket: '/var/run/docker.sock',
  allowedVolumes: [],
  containerOwner: hostname(),
};

/** Fills defaults and validates; throws an `InvalidArgument` error naming the bad field. */
export function compileExecutorOptions(options: ExecutorOptions = {}): Required<ExecutorOptions> {
  const compiled: Required<ExecutorOptions> = {
    maxThreads: options.maxThreads ?? DEFAULT_EXECUTOR_OPTIONS.maxThreads,
    killGraceMs: options.killGraceMs ?? DEFAULT_EXECUTOR_OPTIONS.killGraceMs,
    logTailLines: options.logTailLines ?? DEFAULT_EXECUTOR_OPTIONS.logTailLines,
    baseEnv: options.baseEnv ?? DEFAULT_EXECUTOR_OPTIONS.baseEnv,
    connections: options.connections ?? DEFAULT_EXECUTOR_OPTIONS.connections,
    secrets: options.secrets ?? DEFAULT_EXECUTOR_OPTIONS.secrets,
    dags: options.dags ?? DEFAULT_EXECUTOR_OPTIONS.dags,
    containerSocket: options.containerSocket ?? DEFAULT_EXECUTOR_OPTIONS.containerSocket,
    allowedVolumes: [...(options.allowedVolumes ?? DEFAULT_EXECUTOR_OPTIONS.allowedVolumes)],
    containerOwner: options.containerOwner ?? DEFAULT_EXECUTOR_OPTIONS.containerOwner,
  };
  requireInteger('maxThreads', compiled.maxThreads, 1);
  requireInteger('killGraceMs', compiled.killGraceMs, 0);
  requireInteger('logTailLines', compiled.logTailLines, 0);
  if (compiled.containerSocket.trim() === '')
    invalid('containerSocket', 'must be a socket path or URL, got ""');
  compiled.allowedVolumes.forEach((path, index) => {
    if (!isAbsolute(path)) invalid(`allowedVolumes[${index}]`, `must be an absolute path, got '${path}'`);
  });
  // A label value the engine's filters can match exactly: no `=` or `,` (they separate filters).
  if (!/^[A-Za-z0-9_.:-]+$/.test(compiled.containerOwner)) {
    invalid('containerOwner', `must be letters, digits, _ . : and -, got '${compiled.containerOwner}'`);
  }
  return compiled;
}

function invalid(field: string, problem: string): never {
  throw new TributaryError(Code.InvalidArgument, `executor option '${field}' ${problem}`);
}

function requireInteger(field: keyof ExecutorOptions, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TributaryError(
      Code.InvalidArgument,
      `executor option '${field}' must be an integer >= ${min}, got ${String(value)}`,
    );
  }
}
