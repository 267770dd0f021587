import { readFile } from 'node:fs/promises';
import { type ConnectionOptions, credsAuthenticator } from '@nats-io/transport-node';
import { Code, TributaryError } from '@tributary/core';

/**
 * How a service authenticates to NATS: a user and password, a token, or a credentials file (a user JWT
 * and NKey seed, NATS's decentralised auth).
 */
export type NatsAuth = { user: string; password: string } | { token: string } | { credsFile: string };

/** The environment variables {@link natsAuthFromEnv} reads. */
export const NATS_AUTH_ENV = ['NATS_USER', 'NATS_PASSWORD', 'NATS_TOKEN', 'NATS_CREDS'] as const;

/**
 * The NATS credentials of the environment: `NATS_USER` with `NATS_PASSWORD`, or `NATS_TOKEN`, or
 * `NATS_CREDS` (the path of a `.creds` file); undefined when none is set.
 * @throws TributaryError `InvalidArgument` naming the variables when they are incomplete or more than
 * one way is set.
 */
export function natsAuthFromEnv(env: Readonly<Record<string, string | undefined>>): NatsAuth | undefined {
  const value = (name: (typeof NATS_AUTH_ENV)[number]) => (env[name] === '' ? undefined : env[name]);
  const user = value('NATS_USER');
  const password = value('NATS_PASSWORD');
  const token = value('NATS_TOKEN');
  const credsFile = value('NATS_CREDS');
  const ways = [user !== undefined || password !== undefined, token !== undefined, credsFile !== undefined];
  if (ways.filter(Boolean).length > 1) {
    throw invalid('set only one of NATS_USER/NATS_PASSWORD, NATS_TOKEN and NATS_CREDS');
  }
  if (user !== undefined || password !== undefined) {
    if (user === undefined) throw invalid('NATS_PASSWORD is set without NATS_USER');
    if (password === undefined) throw invalid('NATS_USER is set without NATS_PASSWORD');
    return { user, password };
  }
  if (token !== undefined) return { token };
  if (credsFile !== undefined) return { credsFile };
  return undefined;
}

/**
 * The connection options that carry `auth`. Without it, a `user:password@` in a server URL is used:
 * the NATS client ignores credentials written in URLs.
 * @throws TributaryError `InvalidArgument` when the credentials file cannot be read.
 */
export async function natsAuthOptions(
  auth: NatsAuth | undefined,
  servers: readonly string[],
): Promise<Pick<ConnectionOptions, 'user' | 'pass' | 'token' | 'authenticator'>> {
  if (auth === undefined) return credentialsInUrls(servers);
  if ('user' in auth) return { user: auth.user, pass: auth.password };
  if ('token' in auth) return { token: auth.token };
  let creds: Uint8Array;
  try {
    creds = await readFile(auth.credsFile);
  } catch (error) {
    throw invalid(`cannot read the NATS credentials file ${auth.credsFile} (NATS_CREDS): ${String(error)}`);
  }
  return { authenticator: credsAuthenticator(creds) };
}

/**
 * The credentials of the first server URL that has them, decoded: `user:password@`, or `token@` (a
 * user without a password, as NATS's own tools read it).
 */
function credentialsInUrls(servers: readonly string[]): Pick<ConnectionOptions, 'user' | 'pass' | 'token'> {
  for (const server of servers) {
    let url: URL;
    try {
      url = new URL(server.includes('://') ? server : `nats://${server}`);
    } catch {
      continue; // The client reports a malformed URL itself.
    }
    if (url.username === '') continue;
    const user = decodeURIComponent(url.username);
    return url.password === '' ? { token: user } : { user, pass: decodeURIComponent(url.password) };
  }
  return {};
}

/** A server URL as it may be logged: credentials in it replaced by `***`. */
export function withoutCredentials(server: string): string {
  return server.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@]*@/i, '$1***@');
}

function invalid(message: string): TributaryError {
  return new TributaryError(Code.InvalidArgument, message);
}
