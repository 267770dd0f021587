import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { LogStream, millisFromTimestamp, type TaskLogBatch } from '@tributary/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus } from './bus.js';
import { startNatsServer, type TestNatsServer, uniquePrefix } from './nats-server.test-util.js';
import type { AttemptRef, Bus, ReadTaskLogsOptions } from './types.js';

let server: TestNatsServer;

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  await server.stop();
});

const RUN = '6f1c7f4e-2a7b-4b8e-9a52-0c1d2e3f4a5b';

async function collect(bus: Bus, ref: AttemptRef, options: ReadTaskLogsOptions): Promise<TaskLogBatch[]> {
  const batches: TaskLogBatch[] = [];
  for await (const batch of bus.readTaskLogs(ref, options)) batches.push(batch);
  return batches;
}

function texts(batches: readonly TaskLogBatch[]): string[] {
  return batches.flatMap((batch) => batch.lines.map((line) => line.line));
}

async function streamInfo(prefix: string) {
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    return await jsm.streams.info(`${prefix.toUpperCase()}_LOGS`);
  } finally {
    await nc.close();
  }
}

describe('the task logs stream', () => {
  it('is created with limits retention, its max age and size, discarding old batches', async () => {
    const prefix = uniquePrefix();
    const logLimits = { retentionMs: 3_600_000, maxBytes: 10 * 1024 * 1024 };
    await using bus = await connectBus({ servers: server.url, prefix, logLimits });
    await bus.ensureTopology();
    expect((await streamInfo(prefix)).config).toMatchObject({
      subjects: [`${prefix}.log.>`],
      retention: 'limits',
      storage: 'file',
      discard: 'old',
      max_age: 3_600_000_000_000,
      max_bytes: 10 * 1024 * 1024,
    });
  });

  it('defaults to 7 days and 1 GiB, and takes new limits when ensured again', async () => {
    const prefix = uniquePrefix();
    await using first = await connectBus({ servers: server.url, prefix, logLimits: {} });
    await first.ensureTopology();
    expect((await streamInfo(prefix)).config).toMatchObject({
      max_age: 7 * 24 * 3_600_000_000_000,
      max_bytes: 1024 * 1024 * 1024,
    });
    // A limit shorter than the usual duplicate window is accepted: the window shrinks with it.
    const logLimits = { retentionMs: 30_000, maxBytes: 1024 * 1024 };
    await using second = await connectBus({ servers: server.url, prefix, logLimits });
    await second.ensureTopology();
    expect((await streamInfo(prefix)).config).toMatchObject({
      max_age: 30_000_000_000,
      max_bytes: 1024 * 1024,
    });
  });

  it('is left alone by a bus without limits (a worker), which neither creates nor changes it', async () => {
    const prefix = uniquePrefix();
    await using worker = await connectBus({ servers: server.url, prefix });
    await worker.ensureTopology();
    await expect(streamInfo(prefix)).rejects.toThrow(/stream not found/);
    const logLimits = { retentionMs: 3_600_000, maxBytes: 1024 * 1024 };
    await using coordinator = await connectBus({ servers: server.url, prefix, logLimits });
    await coordinator.ensureTopology();
    await worker.ensureTopology();
    expect((await streamInfo(prefix)).config).toMatchObject({
      max_age: 3_600_000_000_000,
      max_bytes: 1024 * 1024,
    });
  });

  it('rejects a limit that is not a positive integer, naming it', async () => {
    const servers = server.url;
    await expect(connectBus({ servers, logLimits: { maxBytes: 0 } })).rejects.toThrow(
      /logLimits.maxBytes must be a positive integer, got 0/,
    );
    await expect(connectBus({ servers, logLimits: { retentionMs: 1.5 } })).rejects.toThrow(
      /logLimits.retentionMs must be a positive integer/,
    );
  });
});

describe('shipping and reading task logs', () => {
  it('ships lines in a few batches, in order, with stream, level and time, then the end marker', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix(), logLimits: {} });
    await bus.ensureTopology();
    const ref = { runId: RUN, taskId: 'extract', attempt: 1 };
    const writer = bus.openTaskLog(ref);
    for (let i = 0; i < 500; i += 1) writer.write({ stream: 'stdout', line: `line ${i}`, at: 1_000 + i });
    writer.write({ stream: 'log', line: 'careful', at: 2_000, level: 'warn' });
    writer.write({ stream: 'stderr', line: 'oops', at: 2_001 });
    expect(await writer.end(5_000)).toBe(true);

    const batches = await collect(bus, ref, { follow: false });
    expect(texts(batches)).toEqual([
      ...Array.from({ length: 500 }, (_, i) => `line ${i}`),
      'careful',
      'oops',
    ]);
    // Written at once, they share messages: nowhere near one per line.
    expect(batches.length).toBeLessThanOrEqual(3);
    expect(batches.at(-1)?.end).toBe(true);
    expect(batches.slice(0, -1).every((batch) => !batch.end)).toBe(true);
    const lines = batches.flatMap((batch) => batch.lines);
    expect(lines[0]).toMatchObject({ stream: LogStream.STDOUT, level: '' });
    expect(millisFromTimestamp(lines[0]!.at!)).toBe(1_000);
    expect(lines[500]).toMatchObject({ stream: LogStream.LOG, level: 'warn' });
    expect(lines[501]).toMatchObject({ stream: LogStream.STDERR });
    expect(batches[0]?.ref).toMatchObject(ref);
  });

  it('keeps every batch under the batch size, splitting a large burst', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix(), logLimits: {} });
    await bus.ensureTopology();
    const ref = { runId: RUN, taskId: 'big', attempt: 1 };
    const writer = bus.openTaskLog(ref, { maxBatchBytes: 4_096 });
    const line = 'x'.repeat(1_000);
    for (let i = 0; i < 40; i += 1) writer.write({ stream: 'stdout', line: `${i} ${line}`, at: i });
    expect(await writer.end(5_000)).toBe(true);
    const batches = await collect(bus, ref, { follow: false });
    expect(texts(batches).map((text) => Number(text.split(' ')[0]))).toEqual([...Array(40).keys()]);
    expect(batches.length).toBeGreaterThanOrEqual(10);
    for (const batch of batches) expect(batch.lines.length).toBeLessThanOrEqual(4);
  });

  it('keeps attempts and task instances apart, even ids a subject could not hold as they are', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix(), logLimits: {} });
    await bus.ensureTopology();
    const refs = [
      { runId: RUN, taskId: 'load[1]', attempt: 1 },
      { runId: RUN, taskId: 'load[10]', attempt: 1 },
      { runId: RUN, taskId: 'load[1]', attempt: 2 },
    ];
    for (const ref of refs) {
      const writer = bus.openTaskLog(ref);
      writer.write({ stream: 'stdout', line: `${ref.taskId}#${ref.attempt}`, at: 1 });
      expect(await writer.end(5_000)).toBe(true);
    }
    for (const ref of refs) {
      expect(texts(await collect(bus, ref, { follow: false }))).toEqual([`${ref.taskId}#${ref.attempt}`]);
    }
  });

  it('reads nothing, at once, for an attempt that logged nothing', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix(), logLimits: {} });
    await bus.ensureTopology();
    expect(await collect(bus, { runId: RUN, taskId: 'quiet', attempt: 1 }, { follow: false })).toEqual([]);
  });

  it('sends nothing at all for an attempt that logged nothing, not even the end marker', async () => {
    const prefix = uniquePrefix();
    await using bus = await connectBus({ servers: server.url, prefix, logLimits: {} });
    await bus.ensureTopology();
    const ref = { runId: RUN, taskId: 'silent', attempt: 1 };
    expect(await bus.openTaskLog(ref).end(5_000)).toBe(true);
    expect((await streamInfo(prefix)).state.messages).toBe(0);
    const batches = await collect(bus, ref, { follow: true, attemptEnded: async () => true });
    expect(batches).toEqual([]);
  });

  it('follows lines while the attempt runs and ends at the end marker', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix(), logLimits: {} });
    await bus.ensureTopology();
    const ref = { runId: RUN, taskId: 'slow', attempt: 1 };
    const writer = bus.openTaskLog(ref, { flushIntervalMs: 20 });
    writer.write({ stream: 'stdout', line: 'first', at: 1 });
    const seen: string[] = [];
    let sawFirstWhileRunning = false;
    let ended = false;
    const reading = (async () => {
      for await (const batch of bus.readTaskLogs(ref, { follow: true })) {
        for (const line of batch.lines) seen.push(line.line);
        if (seen.includes('first') && !ended) sawFirstWhileRunning = true;
        if (sawFirstWhileRunning && !seen.includes('second')) {
          writer.write({ stream: 'stdout', line: 'second', at: 2 });
          ended = true;
          void writer.end(5_000);
        }
      }
    })();
    await reading;
    expect(sawFirstWhileRunning).toBe(true);
    expect(seen).toEqual(['first', 'second']);
  });

  it('stops following an attempt that ended without a marker once nothing more is stored', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix(), logLimits: {} });
    await bus.ensureTopology();
    const ref = { runId: RUN, taskId: 'died', attempt: 3 };
    const writer = bus.openTaskLog(ref);
    writer.write({ stream: 'stdout', line: 'last words', at: 1 });
    // What a worker handing the attempt back does: its lines are kept, no marker is sent.
    expect(await writer.close(5_000)).toBe(true);
    let asked = 0;
    const batches = await collect(bus, ref, {
      follow: true,
      attemptEnded: async () => {
        asked += 1;
        return true;
      },
    });
    expect(texts(batches)).toEqual(['last words']);
    expect(batches.some((batch) => batch.end)).toBe(false);
    expect(asked).toBeGreaterThan(0);
  });

  it('ends a follow when its signal aborts', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix(), logLimits: {} });
    await bus.ensureTopology();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const batches = await collect(
      bus,
      { runId: RUN, taskId: 'never', attempt: 1 },
      {
        follow: true,
        signal: controller.signal,
      },
    );
    expect(batches).toEqual([]);
  });

  it('counts lines over the buffer limit as dropped and says so in the next batch', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix(), logLimits: {} });
    await bus.ensureTopology();
    const ref = { runId: RUN, taskId: 'flood', attempt: 1 };
    const writer = bus.openTaskLog(ref, { maxBufferedBytes: 1_000 });
    for (let i = 0; i < 100; i += 1) writer.write({ stream: 'stdout', line: 'y'.repeat(90), at: i });
    expect(await writer.end(5_000)).toBe(true);
    const batches = await collect(bus, ref, { follow: false });
    const shipped = texts(batches).length;
    const dropped = batches.reduce((sum, batch) => sum + batch.dropped, 0);
    expect(shipped).toBeGreaterThan(0);
    expect(shipped).toBeLessThan(100);
    expect(shipped + dropped).toBe(100);
  });

  it('reports a failed send without throwing when the logs stream does not exist', async () => {
    await using bus = await connectBus({ servers: server.url, prefix: uniquePrefix() });
    const errors: unknown[] = [];
    const writer = bus.openTaskLog(
      { runId: RUN, taskId: 'orphan', attempt: 1 },
      { onError: (error) => errors.push(error) },
    );
    writer.write({ stream: 'stdout', line: 'into the void', at: 1 });
    expect(await writer.end(5_000)).toBe(false);
    expect(errors.length).toBeGreaterThan(0);
    // Lines after the end are ignored, not sent.
    writer.write({ stream: 'stdout', line: 'late', at: 2 });
    await expect(
      collect(bus, { runId: RUN, taskId: 'orphan', attempt: 1 }, { follow: false }),
    ).rejects.toThrow(/does not exist/);
  });
});
