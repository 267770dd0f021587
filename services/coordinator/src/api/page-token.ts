import { Code, TributaryError } from '@tributary/core';
import type { RunCursor } from '@tributary/db';

// Page tokens are opaque to clients: base64url of the last run's (created_at, id), the keyset the
// next page continues from. Keyset pagination stays correct while new runs are being created.

export function encodePageToken(cursor: RunCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id])).toString('base64url');
}

export function decodePageToken(token: string): RunCursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (Number.isNaN(date.getTime()) || typeof id !== 'string') throw new Error('bad token');
    return { createdAt: date, id };
  } catch {
    throw new TributaryError(Code.InvalidArgument, 'page_token is not a token this server issued', {
      problems: [{ field: 'page_token', message: 'is not a token this server issued' }],
    });
  }
}
