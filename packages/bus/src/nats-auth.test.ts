import { Code } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { connectBus } from './bus.js';
import { natsAuthFromEnv, withoutCredentials } from './nats-auth.js';
import { startNatsServer, uniquePrefix } from './nats-server.test-util.js';

/** A nats-server that accepts only `alice` / `s3cr@t`, for one test. */
async function withPasswordServer(test: (url: string) => Promise<void>): Promise<void> {
  const server = await startNatsServer(['--user', 'alice', '--pass', 's3cr@t']);
  try {
    await test(server.url);
  } finally {
    await server.stop();
  }
}

describe('natsAuthFromEnv', () => {
  it('reads a user and password, a token or a credentials file', () => {
    expect(natsAuthFromEnv({ NATS_USER: 'a', NATS_PASSWORD: 'b' })).toEqual({ user: 'a', password: 'b' });
    expect(natsAuthFromEnv({ NATS_TOKEN: 't' })).toEqual({ token: 't' });
    expect(natsAuthFromEnv({ NATS_CREDS: '/etc/nats/user.creds' })).toEqual({
      credsFile: '/etc/nats/user.creds',
    });
    expect(natsAuthFromEnv({ NATS_TOKEN: '' })).toBeUndefined();
  });

  it('names the variables of an incomplete or ambiguous setting', () => {
    expect(() => natsAuthFromEnv({ NATS_USER: 'a' })).toThrow('NATS_USER is set without NATS_PASSWORD');
    expect(() => natsAuthFromEnv({ NATS_PASSWORD: 'b' })).toThrow('NATS_PASSWORD is set without NATS_USER');
    expect(() => natsAuthFromEnv({ NATS_TOKEN: 't', NATS_CREDS: '/x' })).toThrow(
      expect.objectContaining({ code: Code.InvalidArgument, message: expect.stringMatching(/only one of/) }),
    );
  });
});

describe('connectBus with credentials', () => {
  it('connects with a user and password, and with the same written in the server URL', async () => {
    await withPasswordServer(async (url) => {
      await using viaOptions = await connectBus({
        servers: url,
        prefix: uniquePrefix(),
        auth: { user: 'alice', password: 's3cr@t' },
      });
      expect(viaOptions.prefix).toBeDefined();
      const withUser = url.replace('nats://', `nats://alice:${encodeURIComponent('s3cr@t')}@`);
      await using viaUrl = await connectBus({ servers: withUser, prefix: uniquePrefix() });
      expect(viaUrl.prefix).toBeDefined();
    });
  });

  it('fails without them, without printing a password from the URL', async () => {
    await withPasswordServer(async (url) => {
      await expect(connectBus({ servers: url, prefix: uniquePrefix() })).rejects.toMatchObject({
        code: Code.Unavailable,
      });
      const wrong = url.replace('nats://', 'nats://alice:wrong-password@');
      const failure = connectBus({ servers: wrong, prefix: uniquePrefix() });
      await expect(failure).rejects.toMatchObject({ code: Code.Unavailable });
      await expect(failure).rejects.not.toThrow(/wrong-password/);
    });
  });

  it('says which credentials file it cannot read', async () => {
    await expect(
      connectBus({ servers: 'nats://127.0.0.1:1', auth: { credsFile: '/nonexistent/user.creds' } }),
    ).rejects.toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringMatching(/cannot read the NATS credentials file \/nonexistent\/user\.creds/),
    });
  });
});

describe('withoutCredentials', () => {
  it('hides what comes before the @ of a server URL', () => {
    expect(withoutCredentials('nats://alice:pw@host:4222')).toBe('nats://***@host:4222');
    expect(withoutCredentials('alice:pw@host:4222')).toBe('***@host:4222');
    expect(withoutCredentials('nats://host:4222')).toBe('nats://host:4222');
  });
});
