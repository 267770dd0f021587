import { describe, expect, it } from 'vitest';
import { createSecretMasker, MIN_MASKED_SECRET_LENGTH, maskFailure } from './secret-mask.js';

describe('createSecretMasker', () => {
  it('replaces every occurrence of every value, a longer value whole before a shorter one inside it', () => {
    const masker = createSecretMasker(['hunter2', 'hunter2-and-more']);
    expect(masker.mask('a=hunter2 b=hunter2-and-more c=hunter2')).toBe('a=*** b=*** c=***');
  });

  it(`leaves values shorter than ${MIN_MASKED_SECRET_LENGTH} characters alone, so lines stay readable`, () => {
    const masker = createSecretMasker(['a', '42', 'abcd']);
    expect(masker.mask('a 42 abcd')).toBe('a 42 ***');
  });

  it('masks each line of a multi-line value on its own, as logs arrive a line at a time', () => {
    const masker = createSecretMasker(['-----BEGIN KEY-----\r\nMIIEvQIBADANBg\nok']);
    expect(masker.mask('MIIEvQIBADANBg')).toBe('***');
    expect(masker.mask('-----BEGIN KEY-----')).toBe('***');
    expect(masker.mask('ok')).toBe('ok');
  });

  it('masks a failure through its message, stack, details and causes', () => {
    const masker = createSecretMasker(['s3cret-value']);
    const cyclic: Record<string, unknown> = { note: 'see s3cret-value' };
    cyclic.self = cyclic;
    const masked = maskFailure(
      {
        type: 'Error',
        message: 'bad s3cret-value',
        retryable: true,
        stack: 'Error: bad s3cret-value\n    at run',
        details: { url: 'https://x/?t=s3cret-value', list: ['s3cret-value'], code: 7, cyclic },
        cause: { type: 'Error', message: 'inner s3cret-value', retryable: true },
      },
      masker,
    );
    expect(masked).toMatchObject({
      message: 'bad ***',
      stack: 'Error: bad ***\n    at run',
      details: { url: 'https://x/?t=***', list: ['***'], code: 7, cyclic: { note: 'see ***' } },
      cause: { message: 'inner ***' },
    });
    expect(JSON.stringify(masked.details, (_, v) => (v === cyclic ? '[cyclic]' : v))).not.toContain(
      's3cret-value',
    );
  });
});
