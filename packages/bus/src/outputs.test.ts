import { jetstream } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { connect } from '@nats-io/transport-node';
import { Code, encodeJson, TributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { connectBus } from './bus.js';
import { uniquePrefix, useNatsServer } from './nats-server.test-util.js';
import { isOutputRef, OUTPUT_REF_KEY, type OutputRef, outputRefName, sha256Hex } from './outputs.js';

const SHA = 'a'.repeat(64);

describe('isOutputRef', () => {
  it('accepts exactly the reference shape', () => {
    expect(isOutputRef({ $tributary_output: { object: 'r/t/1/x', bytes: 10, sha256: SHA } })).toBe(true);
  });

  it.each([
    ['null', null],
    ['a string', '$tributary_output'],
    ['an array', [{ $tributary_output: { object: 'o', bytes: 1, sha256: SHA } }]],
    ['a second key', { $tributary_output: { object: 'o', bytes: 1, sha256: SHA }, other: 1 }],
    ['an empty object name', { $tributary_output: { object: '', bytes: 1, sha256: SHA } }],
    ['a negative size', { $tributary_output: { object: 'o', bytes: -1, sha256: SHA } }],
    ['a fractional size', { $tributary_output: { object: 'o', bytes: 1.5, sha256: SHA } }],
    ['an upper-case hash', { $tributary_output: { object: 'o', bytes: 1, sha256: SHA.toUpperCase() } }],
    ['a short hash', { $tributary_output: { object: 'o', bytes: 1, sha256: 'abc' } }],
    ['an extra target field', { $tributary_output: { object: 'o', bytes: 1, sha256: SHA, x: 1 } }],
    ['a missing target field', { $tributary_output: { object: 'o', bytes: 1 } }],
  ])('refuses %s', (_, value) => {
    expect(isOutputRef(value)).toBe(false);
  });
});

describe('outputRefName', () => {
  it('names the run, task, attempt and content', () => {
    expect(outputRefName('run-1', 'extract', 2, SHA)).toBe(`run-1/extract/2/${SHA}`);
  });

  it('gives different attempts, and parts that would join the same, different names', () => {
    expect(outputRefName('r', 't', 1, SHA)).not.toBe(outputRefName('r', 't', 2, SHA));
    expect(outputRefName('a/b', 'c', 1, SHA)).not.toBe(outputRefName('a', 'b/c', 1, SHA));
  });

  it('refuses an attempt that is not a positive integer and a malformed hash', () => {
    expect(() => outputRefName('r', 't', 0, SHA)).toThrow('attempt must be a positive integer, got 0');
    expect(() => outputRefName('r', 't', 1, 'xyz')).toThrow('sha256 must be 64 lower-case hex digits');
  });
});

describe('the output store', () => {
  const server = useNatsServer();

  const attempt = { runId: 'run-1', taskId: 'extract', attempt: 1 };

  it('stores an output in <prefix>-outputs and returns a reference that reads it back', async () => {
    const prefix = uniquePrefix();
    await using bus = await connectBus({ servers: server.url, prefix });
    const value = { rows: Array.from({ length: 20_000 }, (_, i) => ({ id: i, name: `row ${i} é` })) };
    const json = encodeJson(value);
    const ref = await bus.outputs.put(attempt, json);
    expect(isOutputRef(ref)).toBe(true);
    expect(ref[OUTPUT_REF_KEY]).toEqual({
      object: outputRefName('run-1', 'extract', 1, sha256Hex(json)),
      bytes: json.byteLength,
      sha256: sha256Hex(json),
    });
    expect(await bus.outputs.get(ref)).toEqual(value);
    // The object is in the named bucket, holding the JSON text itself.
    const nc = await connect({ servers: server.url });
    try {
      const store = await new Objm(jetstream(nc)).open(`${prefix}-outputs`);
      const blob = await store.getBlob(ref[OUTPUT_REF_KEY].object);
      expect(Buffer.from(blob ?? []).equals(json)).toBe(true);
    } finally {
      await nc.close();
    }
  });

  it('returns null for a reference whose object is not there', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix() });
    const missing: OutputRef = { $tributary_output: { object: 'gone/t/1/x', bytes: 2, sha256: SHA } };
    expect(await bus.outputs.get(missing)).toBeNull();
  });

  it('refuses with DataLoss an object whose size or hash differ from its reference', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix() });
    const ref = await bus.outputs.put(attempt, encodeJson({ a: 1 }));
    const target = ref[OUTPUT_REF_KEY];
    for (const forged of [
      { ...target, bytes: target.bytes + 1 },
      { ...target, sha256: SHA },
    ]) {
      const error = await bus.outputs.get({ $tributary_output: forged }).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(TributaryError);
      expect((error as TributaryError).code).toBe(Code.DataLoss);
      expect((error as TributaryError).message).toContain(`output object ${target.object} holds`);
    }
  });

  it('keeps each stored content under its own name, so a rerun attempt cannot change an earlier one', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix() });
    const first = await bus.outputs.put(attempt, encodeJson('first'));
    const again = await bus.outputs.put(attempt, encodeJson('first'));
    const second = await bus.outputs.put(attempt, encodeJson('second'));
    expect(again).toEqual(first);
    expect(second[OUTPUT_REF_KEY].object).not.toBe(first[OUTPUT_REF_KEY].object);
    expect(await bus.outputs.get(first)).toBe('first');
    expect(await bus.outputs.get(second)).toBe('second');
  });

  it('tells whether a worker event fits in one message of the server', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix() });
    const finished = (text: string) => ({
      ref: attempt,
      workerId: 'w',
      event: { case: 'finished' as const, value: { logTail: [text] } },
    });
    // nats-server's default max_payload is 1 MiB.
    expect(bus.fitsInMessage(finished('x'.repeat(1_000_000)))).toBe(true);
    expect(bus.fitsInMessage(finished('x'.repeat(1_048_576)))).toBe(false);
  });
});
