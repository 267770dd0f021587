import { describe, expect, it } from 'vitest';
import { connectBus } from './bus.js';
import { encodeTaskMessage } from './codec.js';
import { uniquePrefix, useNatsServer, waitFor } from './nats-server.test-util.js';
import type { Bus, OutgoingTask, TaskDelivery } from './types.js';

const server = useNatsServer();

async function setUp(pools: string[], taskAckWaitMs?: number): Promise<Bus> {
  const bus = await connectBus({ servers: server.url, prefix: uniquePrefix(), taskAckWaitMs });
  await bus.ensureTopology();
  for (const pool of pools) await bus.ensurePool(pool);
  return bus;
}

function task(taskId: string, pool = 'default', runId = 'r1'): OutgoingTask {
  const order = { runId, taskId, attempt: 1, dag: 'd', dagVersion: 1, bundleHash: 'h' };
  const payload = encodeTaskMessage({
    ...order,
    task: {},
    params: {},
    inputs: {},
    logicalDate: 0,
    dataIntervalEnd: 0,
  });
  return { msgId: `${runId}.${taskId}.1`, pool, payload };
}

/** Runs consumeTasks until `until` holds, collecting deliveries; the handler acks unless told otherwise. */
async function consumeUntil(
  bus: Bus,
  pool: string,
  until: (seen: TaskDelivery[]) => boolean,
  handle: (delivery: TaskDelivery) => Promise<void> = async (delivery) => delivery.ack(),
  maxInFlight: number | (() => number) = 10,
): Promise<TaskDelivery[]> {
  const seen: TaskDelivery[] = [];
  const controller = new AbortController();
  const loop = bus.consumeTasks({
    pool,
    maxInFlight,
    signal: controller.signal,
    handle: async (delivery) => {
      seen.push(delivery);
      await handle(delivery);
    },
  });
  try {
    await waitFor(() => until(seen), 15_000);
  } finally {
    controller.abort();
    await loop;
  }
  return seen;
}

describe('publishTasks and consumeTasks', () => {
  it('delivers the task message with a traceparent header', async () => {
    await using bus = await setUp(['default']);
    await bus.publishTasks([task('a')]);
    const [delivery] = await consumeUntil(bus, 'default', (seen) => seen.length === 1);
    expect(delivery?.message.taskId).toBe('a');
    expect(delivery?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(delivery?.redelivered).toBe(false);
    expect(delivery?.deliveryCount).toBe(1);
  });

  it('keeps a given traceparent', async () => {
    await using bus = await setUp(['default']);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await bus.publishTasks([{ ...task('a'), traceparent }]);
    const [delivery] = await consumeUntil(bus, 'default', (seen) => seen.length === 1);
    expect(delivery?.traceparent).toBe(traceparent);
  });

  it('de-duplicates a re-published msgId: the consumer gets the task once', async () => {
    await using bus = await setUp(['default']);
    await bus.publishTasks([task('a'), task('b')]);
    await bus.publishTasks([task('a'), task('b')]);
    const seen = await consumeUntil(bus, 'default', (deliveries) => deliveries.length >= 2);
    // Give a duplicate time to show up if it had been stored.
    const late = await consumeUntil(bus, 'default', () => true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen.map((delivery) => delivery.message.taskId).sort()).toEqual(['a', 'b']);
    expect(late).toEqual([]);
  });

  it('never delivers a task for pool a to the consumer of pool b', async () => {
    await using bus = await setUp(['a', 'b']);
    await bus.publishTasks([task('for-a', 'a'), task('for-b', 'b')]);
    const fromB = await consumeUntil(bus, 'b', (seen) => seen.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const fromA = await consumeUntil(bus, 'a', (seen) => seen.length >= 1);
    expect(fromB.map((delivery) => delivery.message.taskId)).toEqual(['for-b']);
    expect(fromA.map((delivery) => delivery.message.taskId)).toEqual(['for-a']);
  });

  it('rejects the whole call for an invalid pool before publishing anything', async () => {
    await using bus = await setUp(['default']);
    await expect(bus.publishTasks([task('ok'), task('bad', 'no.dots')])).rejects.toThrow(/pool must match/);
    const seen = await consumeUntil(bus, 'default', () => true);
    expect(seen).toEqual([]);
  });

  it('never runs more than maxInFlight handlers at once', async () => {
    await using bus = await setUp(['default']);
    await bus.publishTasks(Array.from({ length: 20 }, (_, i) => task(`t${i}`)));
    let running = 0;
    let peak = 0;
    const seen = await consumeUntil(
      bus,
      'default',
      (deliveries) => deliveries.length === 20 && running === 0,
      async (delivery) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 50));
        await delivery.ack();
        running--;
      },
      3,
    );
    expect(seen).toHaveLength(20);
    expect(peak).toBe(3);
  });

  it('reads a maxInFlight function before every fetch', async () => {
    await using bus = await setUp(['default']);
    await bus.publishTasks(Array.from({ length: 6 }, (_, i) => task(`t${i}`)));
    let running = 0;
    let peak = 0;
    await consumeUntil(
      bus,
      'default',
      (deliveries) => deliveries.length === 6 && running === 0,
      async (delivery) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 30));
        await delivery.ack();
        running--;
      },
      () => 1,
    );
    expect(peak).toBe(1);
  });

  it('redelivers a nak-ed delivery', async () => {
    await using bus = await setUp(['default']);
    await bus.publishTasks([task('a')]);
    const seen = await consumeUntil(
      bus,
      'default',
      (deliveries) => deliveries.length === 2,
      async (delivery) => {
        if (delivery.deliveryCount === 1) delivery.nak();
        else await delivery.ack();
      },
    );
    expect(seen.map((delivery) => [delivery.redelivered, delivery.deliveryCount])).toEqual([
      [false, 1],
      [true, 2],
    ]);
  });

  it('redelivers a delivery that is neither acked nor extended after the ack wait', async () => {
    await using bus = await setUp(['default'], 500);
    await bus.publishTasks([task('a')]);
    const started = Date.now();
    const seen = await consumeUntil(
      bus,
      'default',
      (deliveries) => deliveries.length === 2,
      async (delivery) => {
        if (delivery.deliveryCount > 1) await delivery.ack();
      },
    );
    expect(seen[1]?.redelivered).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });

  it('does not redeliver while working() extends the deadline', async () => {
    await using bus = await setUp(['default'], 500);
    await bus.publishTasks([task('a')]);
    const seen = await consumeUntil(
      bus,
      'default',
      (deliveries) => deliveries.length === 1 && deliveries[0]?.deliveryCount === 1,
      async (delivery) => {
        for (let i = 0; i < 6; i++) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          delivery.working();
        }
        await delivery.ack();
      },
    );
    // 1.2s of work with a 0.5s ack wait: extended, so still exactly one delivery after the ack.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const again = await consumeUntil(bus, 'default', () => true);
    expect(seen).toHaveLength(1);
    expect(again).toEqual([]);
  });

  it('naks the delivery and reports the error when a handler rejects', async () => {
    await using bus = await setUp(['default']);
    await bus.publishTasks([task('a')]);
    const errors: unknown[] = [];
    const controller = new AbortController();
    let calls = 0;
    const loop = bus.consumeTasks({
      pool: 'default',
      maxInFlight: 1,
      signal: controller.signal,
      onError: (error) => errors.push(error),
      handle: async (delivery) => {
        calls++;
        if (calls === 1) throw new Error('boom');
        await delivery.ack();
      },
    });
    await waitFor(() => calls === 2);
    controller.abort();
    await loop;
    expect(errors).toEqual([expect.objectContaining({ message: 'boom' })]);
  });

  it('resolves soon after the signal aborts, without waiting for running handlers', async () => {
    await using bus = await setUp(['default']);
    await bus.publishTasks([task('a')]);
    const controller = new AbortController();
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = false;
    const loop = bus.consumeTasks({
      pool: 'default',
      maxInFlight: 1,
      signal: controller.signal,
      handle: async (delivery) => {
        started = true;
        await blocked;
        await delivery.ack();
      },
    });
    await waitFor(() => started);
    const abortedAt = Date.now();
    controller.abort();
    await loop;
    expect(Date.now() - abortedAt).toBeLessThan(1_500);
    release();
  });
});
