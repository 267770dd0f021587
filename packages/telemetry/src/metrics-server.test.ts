import { Code, type Logger, TributaryError } from '@tributary/core';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type MetricsServer, parseListenAddress, startMetricsServer } from './metrics-server.js';

const logged: { msg: string; fields?: object }[] = [];
const logger: Logger = {
  debug() {},
  info: (msg, fields) => logged.push({ msg, ...(fields ? { fields } : {}) }),
  warn: (msg, fields) => logged.push({ msg, ...(fields ? { fields } : {}) }),
  error() {},
};
const servers: MetricsServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  logged.length = 0;
});

async function serve(registry: Registry, listen = '127.0.0.1:0'): Promise<MetricsServer> {
  const server = await startMetricsServer({ listen, registry, logger, setting: 'TRIBUTARY_METRICS_LISTEN' });
  servers.push(server);
  return server;
}

describe('the metrics server', () => {
  it('serves the registry at GET /metrics in the Prometheus text format', async () => {
    const registry = new Registry();
    new Counter({ name: 'demo_total', help: 'A demo counter.', registers: [registry] }).inc(3);
    const { address } = await serve(registry);

    const response = await fetch(`http://${address}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(registry.contentType);
    expect(await response.text()).toContain('demo_total 3');
    expect(logged).toContainEqual({ msg: 'metrics listening', fields: { address } });
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    const { address } = await serve(new Registry());
    expect((await fetch(`http://${address}/`)).status).toBe(404);
    expect((await fetch(`http://${address}/metrics/extra`)).status).toBe(404);
    const post = await fetch(`http://${address}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers 500 when a collector fails, and keeps serving', async () => {
    const registry = new Registry();
    let fail = true;
    new Counter({
      name: 'flaky_total',
      help: 'Fails to collect once.',
      registers: [registry],
      collect() {
        if (fail) {
          fail = false;
          throw new Error('collector broke');
        }
      },
    });
    const { address } = await serve(registry);
    expect((await fetch(`http://${address}/metrics`)).status).toBe(500);
    expect(logged.map((line) => line.msg)).toContain('metrics scrape failed');
    expect((await fetch(`http://${address}/metrics`)).status).toBe(200);
  });

  it('fails to start on an address in use, naming the setting to change', async () => {
    const { address } = await serve(new Registry());
    const error = await startMetricsServer({
      listen: address,
      registry: new Registry(),
      logger,
      setting: 'TRIBUTARY_METRICS_LISTEN',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe(Code.FailedPrecondition);
    expect((error as TributaryError).message).toBe(
      `cannot serve metrics on ${address} (TRIBUTARY_METRICS_LISTEN): the address is already in use; ` +
        'set TRIBUTARY_METRICS_LISTEN to a free host:port, or off',
    );
  });

  it('serves on a free port instead when its default address is taken, and says so', async () => {
    const { address } = await serve(new Registry());
    await using fallback = await startMetricsServer({
      listen: address,
      registry: new Registry(),
      logger,
      setting: 'TRIBUTARY_METRICS_LISTEN',
      isDefault: true,
    });
    expect(fallback.address).not.toBe(address);
    expect((await fetch(`http://${fallback.address}/metrics`)).status).toBe(200);
    const warning = logged.find((line) => line.msg.includes('is in use; serving metrics on a free port'));
    expect(warning?.fields).toMatchObject({ address: fallback.address, setting: 'TRIBUTARY_METRICS_LISTEN' });
  });

  it('closes idempotently', async () => {
    const server = await serve(new Registry());
    await Promise.all([server.close(), server.close()]);
    await expect(fetch(`http://${server.address}/metrics`)).rejects.toThrow();
  });
});

describe('parseListenAddress', () => {
  it('reads host:port, IPv6 in brackets, and port 0', () => {
    expect(parseListenAddress('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListenAddress('metrics.local:80')).toEqual({ host: 'metrics.local', port: 80 });
  });

  it('rejects anything else', () => {
    for (const bad of ['9464', 'host:', ':9464', 'host:65536', 'host:port', 'off', 'a b:1'])
      expect(parseListenAddress(bad), bad).toBeUndefined();
  });
});
