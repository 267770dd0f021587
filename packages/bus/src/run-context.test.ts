import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { Code, TributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { connectBus } from './bus.js';
import { uniquePrefix, useNatsServer } from './nats-server.test-util.js';

describe('the run context bucket', () => {
  const server = useNatsServer();

  const runId = '7f3c2a9e-1b4d-4c8e-9a0f-2d6b5e8c1a34';

  it('stores each key as <runId>.<key> in <prefix>-context with history 1, as JSON', async () => {
    const prefix = uniquePrefix();
    await using bus = await connectBus({ servers: server.url, prefix });
    const store = bus.context.forRun(runId);
    await store.set('rows', 41);
    await store.set('rows', 42);
    await store.set('meta.source', { table: 'events', tags: ['a', 'é'] });
    expect(await store.get('rows')).toBe(42);
    expect(await store.get('meta.source')).toEqual({ table: 'events', tags: ['a', 'é'] });
    expect(await store.get('missing')).toBeUndefined();
    expect(await store.keys()).toEqual(['meta.source', 'rows']);
    const nc = await connect({ servers: server.url });
    try {
      const kv = await new Kvm(jetstream(nc)).open(`${prefix}-context`);
      expect((await kv.status()).history).toBe(1);
      const entry = await kv.get(`${runId}.rows`);
      expect(new TextDecoder().decode(entry?.value)).toBe('42');
    } finally {
      await nc.close();
    }
  });

  it('keeps the contexts of different runs apart', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix() });
    await bus.context.forRun('run-a').set('rows', 1);
    await bus.context.forRun('run-b').set('rows', 2);
    await bus.context.forRun('run-b').set('other', true);
    expect(await bus.context.forRun('run-a').keys()).toEqual(['rows']);
    expect(await bus.context.read('run-a')).toEqual({ values: { rows: 1 }, truncated: false });
    expect(await bus.context.read('run-b')).toEqual({ values: { other: true, rows: 2 }, truncated: false });
    expect(await bus.context.read('run-c')).toEqual({ values: {}, truncated: false });
  });

  it('reads at most the limit of keys, and says that it left some out', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix() });
    const store = bus.context.forRun(runId);
    for (const key of ['k1', 'k2', 'k3', 'k4', 'k5']) await store.set(key, key);
    const view = await bus.context.read(runId, 3);
    expect(view.truncated).toBe(true);
    expect(Object.keys(view.values)).toHaveLength(3);
    expect(await bus.context.read(runId, 5)).toEqual({
      values: { k1: 'k1', k2: 'k2', k3: 'k3', k4: 'k4', k5: 'k5' },
      truncated: false,
    });
  });

  it('refuses a run id that cannot be a KV key token', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix() });
    const error = (() => {
      try {
        bus.context.forRun('a.b');
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe(Code.InvalidArgument);
    expect((error as TributaryError).message).toContain('run id must match');
  });

  it('names the key when NATS refuses a value', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix() });
    // nats-server's default max_payload is 1 MiB: a value of 2 MiB cannot be one message.
    await expect(bus.context.forRun(runId).set('huge', 'x'.repeat(2 * 1024 * 1024))).rejects.toThrow(
      `cannot set context key 'huge' of run ${runId}`,
    );
  });
});
