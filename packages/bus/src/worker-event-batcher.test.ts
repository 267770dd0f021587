import { fromBinary } from '@bufbuild/protobuf';
import { WorkerEventBatchSchema } from '@tributary/proto';
import { describe, expect, it } from 'vitest';
import { createWorkerEvent, encodeWorkerEvent } from './codec.js';
import { WorkerEventBatcher } from './worker-event-batcher.js';

function eventBytes(taskId: string, logLine = ''): Uint8Array {
  return encodeWorkerEvent(
    createWorkerEvent({
      ref: { runId: 'r', taskId, attempt: 1 },
      workerId: 'w',
      event: { case: 'finished', value: { logTail: logLine === '' ? [] : [logLine] } },
    }),
  );
}

/** What a batcher sent: each batch decoded to its task ids, with its message id. */
interface Sent {
  taskIds: string[];
  msgId: string;
}

function recorder(failures = 0): { sent: Sent[]; send: (batch: Uint8Array, msgId: string) => Promise<void> } {
  const sent: Sent[] = [];
  let failuresLeft = failures;
  return {
    sent,
    async send(batch, msgId) {
      sent.push({
        taskIds: fromBinary(WorkerEventBatchSchema, batch).events.map((event) => event.ref?.taskId ?? ''),
        msgId,
      });
      if (failuresLeft-- > 0) throw new Error('no ack');
    },
  };
}

describe('WorkerEventBatcher', () => {
  it('sends the events of one turn as one batch, in order, and those of a later turn apart', async () => {
    const { sent, send } = recorder();
    const batcher = new WorkerEventBatcher(send, () => 1024 * 1024, 'p');
    await Promise.all(['a', 'b', 'c'].map((id) => batcher.publish(eventBytes(id))));
    await batcher.publish(eventBytes('d'));
    expect(sent).toEqual([
      { taskIds: ['a', 'b', 'c'], msgId: 'p.1' },
      { taskIds: ['d'], msgId: 'p.2' },
    ]);
  });

  it('splits a turn into batches that stay under the size limit', async () => {
    const { sent, send } = recorder();
    const line = 'x'.repeat(300);
    const size = eventBytes('a', line).byteLength;
    // Room for two events per batch, not three.
    const batcher = new WorkerEventBatcher(send, () => size * 2 + 20, 'p');
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => batcher.publish(eventBytes(id, line))));
    expect(sent.map((batch) => batch.taskIds)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('retries a failed batch under the same message id until it is acked', async () => {
    const { sent, send } = recorder(2);
    const batcher = new WorkerEventBatcher(send, () => 1024 * 1024, 'p');
    await Promise.all(['a', 'b'].map((id) => batcher.publish(eventBytes(id))));
    expect(sent.map((batch) => batch.msgId)).toEqual(['p.1', 'p.1', 'p.1']);
    expect(sent.every((batch) => batch.taskIds.join() === 'a,b')).toBe(true);
  });

  it('gives up with Cancelled once every event of the batch had its signal aborted', async () => {
    const { send } = recorder(Number.POSITIVE_INFINITY);
    const batcher = new WorkerEventBatcher(send, () => 1024 * 1024, 'p');
    const stop = new AbortController();
    const published = batcher.publish(eventBytes('a'), { signal: stop.signal });
    stop.abort();
    await expect(published).rejects.toThrow(/gave up publishing worker events/);
  });
});
