import { Code, TributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { parseLogMaxBytes, parseLogRetention } from './log-limits.js';
import { coordinatorOptionsFromEnv } from './main.js';
import { compileCoordinatorOptions } from './options.js';

describe('task log limits', () => {
  it('default to 7 days and 1 GiB', () => {
    const options = coordinatorOptionsFromEnv({});
    expect(options.logRetentionMs).toBe(7 * 24 * 3_600_000);
    expect(options.logMaxBytes).toBe(1024 ** 3);
  });

  it('read TRIBUTARY_LOG_RETENTION as a duration and TRIBUTARY_LOG_MAX_BYTES as a size', () => {
    const options = coordinatorOptionsFromEnv({
      TRIBUTARY_LOG_RETENTION: '12h',
      TRIBUTARY_LOG_MAX_BYTES: '500MiB',
    });
    expect(options.logRetentionMs).toBe(12 * 3_600_000);
    expect(options.logMaxBytes).toBe(500 * 1024 ** 2);
  });

  it.each([
    ['7d', 7 * 86_400_000],
    ['90m', 90 * 60_000],
    ['1.5h', 5_400_000],
    ['30s', 30_000],
    ['604800000', 604_800_000],
    [' 250ms ', 250],
  ])('reads the retention %j as %i ms', (text, ms) => {
    expect(parseLogRetention(text, 'TRIBUTARY_LOG_RETENTION')).toBe(ms);
  });

  it.each(['0', '-1d', 'forever', '7 years', '1.5ms'])(
    'rejects the retention %j naming the variable',
    (text) => {
      expect(() => parseLogRetention(text, 'TRIBUTARY_LOG_RETENTION')).toThrow(
        `TRIBUTARY_LOG_RETENTION must be a duration such as 7d, 12h or 30m (or milliseconds), got '${text}'`,
      );
    },
  );

  it.each(['0', 'lots', '-5MiB'])('rejects the size %j naming the variable', (text) => {
    try {
      parseLogMaxBytes(text, 'TRIBUTARY_LOG_MAX_BYTES');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TributaryError);
      expect((error as TributaryError).code).toBe(Code.InvalidArgument);
      expect((error as TributaryError).message).toBe(
        `TRIBUTARY_LOG_MAX_BYTES must be a size such as 1GiB or 500MiB (or bytes), got '${text}'`,
      );
    }
  });

  it('leaves unset and empty variables to the defaults', () => {
    expect(parseLogRetention(undefined, 'X')).toBeUndefined();
    expect(parseLogMaxBytes('', 'X')).toBeUndefined();
  });

  it('rejects option values that are not positive integers, naming the option', () => {
    expect(() => compileCoordinatorOptions({ logMaxBytes: 0 })).toThrow(
      'coordinator option logMaxBytes must be a positive integer, got 0',
    );
    expect(() => compileCoordinatorOptions({ logRetentionMs: 1.5 })).toThrow(
      'coordinator option logRetentionMs must be a positive integer, got 1.5',
    );
  });
});
