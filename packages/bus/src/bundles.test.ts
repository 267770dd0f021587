import { describe, expect, it } from 'vitest';
import { connectBus } from './bus.js';
import { uniquePrefix, useNatsServer } from './nats-server.test-util.js';

const server = useNatsServer();

describe('bundles', () => {
  it('stores and returns bundle bytes by hash', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix() });
    await bus.ensureTopology();
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    expect(await bus.bundles.has('h1')).toBe(false);
    expect(await bus.bundles.get('h1')).toBeNull();
    await bus.bundles.put('h1', bytes);
    expect(await bus.bundles.has('h1')).toBe(true);
    const back = await bus.bundles.get('h1');
    // Buffer.equals: a deep toEqual over 300k elements takes seconds.
    expect(back).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(back ?? []).equals(bytes)).toBe(true);
  });

  it('keeps the first bundle when the same hash is put again', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix() });
    await bus.bundles.put('h1', new Uint8Array([1, 2, 3]));
    await bus.bundles.put('h1', new Uint8Array([9]));
    expect(await bus.bundles.get('h1')).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('shares bundles between connections of one prefix', async () => {
    const prefix = uniquePrefix();
    {
      await using writer = await connectBus({ servers: server.url, prefix });
      await writer.bundles.put('h2', new Uint8Array([4, 5]));
    }
    await using reader = await connectBus({ servers: server.url, prefix });
    expect(await reader.bundles.get('h2')).toEqual(new Uint8Array([4, 5]));
  });
});
