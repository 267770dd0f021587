import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Code, type Logger, TributaryError } from '@tributary/core';
import type { Registry } from 'prom-client';

/** What {@link startMetricsServer} needs. */
export interface MetricsServerOptions {
  /** Where to listen, `host:port` (`[::1]:9464` for IPv6); port 0 picks a free one. */
  listen: string;
  /** The registry served at `GET /metrics`. */
  registry: Registry;
  logger: Logger;
  /**
   * The setting `listen` came from (e.g. `TRIBUTARY_METRICS_LISTEN`), named in the error when the
   * address is taken, so that the operator knows what to change. @default 'metrics listen address'
   */
  setting?: string;
  /**
   * `listen` is a default nobody chose: when its port is taken (a second worker on the same machine), a
   * free port is used instead, with a warning naming it, rather than failing the start. An address the
   * operator set fails as it should. @default false
   */
  isDefault?: boolean;
}

/** A started metrics endpoint. */
export interface MetricsServer extends AsyncDisposable {
  /** The bound address, `host:port`, with the real port when `listen` asked for port 0. */
  readonly address: string;
  /** Stops listening and closes open connections. Idempotent. */
  close(): Promise<void>;
}

/** The path Prometheus scrapes. */
export const METRICS_PATH = '/metrics';

/**
 * Parses `host:port` (`[::1]:9464` for IPv6) with a port from 0 to 65535; undefined when `text` is not
 * one. Options validation and the server share it, so a value that validates always binds.
 */
export function parseListenAddress(text: string): { host: string; port: number } | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text.trim());
  if (match === null) return undefined;
  const port = Number(match[2]);
  if (port > 65_535) return undefined;
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * Serves `registry` over plain HTTP for Prometheus: `GET /metrics` answers the exposition text with the
 * registry's content type, anything else 404 (405 for another method on `/metrics`). Logs
 * `metrics listening` with the bound address.
 * @throws TributaryError `InvalidArgument` for a malformed `listen`; `FailedPrecondition` when the
 * address is already in use or cannot be bound, naming `setting`.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { registry, logger } = options;
  const setting = options.setting ?? 'metrics listen address';
  const parsed = parseListenAddress(options.listen);
  if (parsed === undefined) {
    throw new TributaryError(
      Code.InvalidArgument,
      `${setting} must be host:port, got ${JSON.stringify(options.listen)}`,
    );
  }
  const server = createServer((request, response) => {
    void respond(registry, request, response, logger);
  });
  // A scrape is one short request; a stuck client must not hold the process open on stop.
  server.requestTimeout = 10_000;
  try {
    await listen(server, parsed.host, parsed.port).catch(async (error: unknown) => {
      if (!options.isDefault || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      await listen(server, parsed.host, 0);
      logger.warn(`the default metrics address ${options.listen} is in use; serving metrics on a free port`, {
        address: boundAddress(server),
        setting,
      });
    });
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? 'the address is already in use'
        : String(error);
    throw new TributaryError(
      Code.FailedPrecondition,
      `cannot serve metrics on ${options.listen} (${setting}): ${reason}; set ${setting} to a free host:port, or off`,
      { cause: error },
    );
  }
  const address = boundAddress(server);
  logger.info('metrics listening', { address });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  return { address, close, [Symbol.asyncDispose]: close };
}

/** The variable a service's metrics address comes from. */
export const METRICS_LISTEN_VARIABLE = 'TRIBUTARY_METRICS_LISTEN';

/**
 * A coordinator's or worker's metrics endpoint, per its `metricsListen` option (null: none). A default
 * address that is taken (a second worker on one machine) gives way to a free port rather than failing
 * the start: only an address set in `TRIBUTARY_METRICS_LISTEN` must be the one bound.
 */
export async function serveServiceMetrics(
  listen: string | null,
  registry: Registry,
  logger: Logger,
  env: NodeJS.ProcessEnv,
): Promise<MetricsServer | undefined> {
  if (listen === null) return undefined;
  return startMetricsServer({
    listen,
    registry,
    logger,
    setting: METRICS_LISTEN_VARIABLE,
    isDefault: !env[METRICS_LISTEN_VARIABLE],
  });
}

function boundAddress(server: Server): string {
  const bound = server.address() as AddressInfo;
  return `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function respond(
  registry: Registry,
  request: IncomingMessage,
  response: ServerResponse,
  logger: Logger,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://metrics').pathname;
  if (path !== METRICS_PATH) {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end();
    return;
  }
  try {
    const body = await registry.metrics();
    response.writeHead(200, { 'content-type': registry.contentType });
    response.end(request.method === 'HEAD' ? undefined : body);
  } catch (error) {
    // A collector that failed (prom-client rejects the whole scrape): Prometheus records the target down.
    logger.warn('metrics scrape failed', { error: String(error) });
    response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${String(error)}\n`);
  }
}
