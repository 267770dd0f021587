import { Code, TributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { decodePageToken, encodePageToken } from './page-token.js';

describe('page tokens', () => {
  it('round-trip the cursor of the last run on a page', () => {
    const cursor = {
      createdAt: new Date('2026-11-21T10:00:00.123Z'),
      id: '0b6f3f1e-8a4b-4c39-9f3e-1d2c3b4a5f60',
    };
    expect(decodePageToken(encodePageToken(cursor))).toEqual(cursor);
  });

  it.each([
    'garbage',
    Buffer.from('["not a date","x"]').toString('base64url'),
    Buffer.from('{}').toString('base64url'),
  ])('reject %s as INVALID_ARGUMENT naming page_token', (token) => {
    try {
      decodePageToken(token);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TributaryError);
      expect((error as TributaryError).code).toBe(Code.InvalidArgument);
      expect((error as TributaryError).problems[0]?.field).toBe('page_token');
    }
  });
});
