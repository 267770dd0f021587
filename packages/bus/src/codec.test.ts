import { create } from '@bufbuild/protobuf';
import { Code, TributaryError } from '@tributary/core';
import { TaskOutcome, WorkerEventSchema } from '@tributary/proto';
import { describe, expect, it } from 'vitest';
import {
  createWorkerEvent,
  decodeCancelNotice,
  decodeHeartbeat,
  decodeTaskMessage,
  decodeWorkerEvent,
  encodeCancelNotice,
  encodeHeartbeat,
  encodeTaskMessage,
  encodeWorkerEvent,
} from './codec.js';

const ref = { runId: 'r1', taskId: 'extract', attempt: 1 };

describe('codec', () => {
  it('round-trips a task message with its task spec, params and inputs', () => {
    const bytes = encodeTaskMessage({
      ...ref,
      dag: 'etl',
      dagVersion: 3,
      bundleHash: 'abc',
      task: { id: 'extract', kind: 'shell', command: 'echo hi' },
      params: { date: '2024-01-01' },
    });
    const message = decodeTaskMessage(bytes);
    expect(message.runId).toBe('r1');
    expect(message.dagVersion).toBe(3);
    expect(message.task).toEqual({ id: 'extract', kind: 'shell', command: 'echo hi' });
    expect(message.params).toEqual({ date: '2024-01-01' });
  });

  it('round-trips a finished worker event', () => {
    const event = createWorkerEvent({
      ref,
      workerId: 'w1',
      event: { case: 'finished', value: { outcome: TaskOutcome.SUCCEEDED, logTail: ['done'] } },
    });
    const decoded = decodeWorkerEvent(encodeWorkerEvent(event));
    expect(decoded.ref?.taskId).toBe('extract');
    expect(decoded.event.case).toBe('finished');
    expect(decoded.event.case === 'finished' && decoded.event.value.logTail).toEqual(['done']);
  });

  it('refuses to build a worker event without a ref or a kind', () => {
    expect(() => createWorkerEvent({ workerId: 'w', event: { case: 'started', value: {} } })).toThrow(
      /needs a ref/,
    );
    expect(() => createWorkerEvent({ ref, workerId: 'w' })).toThrow(/needs a kind/);
  });

  it('rejects a decoded worker event without a kind as DataLoss', () => {
    const bytes = encodeWorkerEvent(create(WorkerEventSchema, { ref }));
    expect(() => decodeWorkerEvent(bytes)).toThrow(expect.objectContaining({ code: Code.DataLoss }));
  });

  it('reports undecodable bytes as DataLoss naming the message type', () => {
    const garbage = new Uint8Array([0xff, 0xff, 0xff, 0xff]);
    expect(() => decodeTaskMessage(garbage)).toThrow(TributaryError);
    expect(() => decodeTaskMessage(garbage)).toThrow(/undecodable tributary\.v1\.TaskMessage/);
  });

  it('round-trips heartbeats and cancel notices', () => {
    const heartbeat = decodeHeartbeat(encodeHeartbeat({ workerId: 'w1', pools: ['a', 'b'], stopping: true }));
    expect(heartbeat.pools).toEqual(['a', 'b']);
    expect(heartbeat.stopping).toBe(true);
    const notice = decodeCancelNotice(encodeCancelNotice({ runId: 'r1', reason: 'user' }));
    expect(notice).toMatchObject({ runId: 'r1', taskId: '', attempt: 0, reason: 'user' });
  });
});
