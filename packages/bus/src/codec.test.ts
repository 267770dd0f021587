import { create, toBinary } from '@bufbuild/protobuf';
import { Code, TributaryError } from '@tributary/core';
import { TaskMessageSchema, TaskOutcome, WorkerEventBatchSchema, WorkerEventSchema } from '@tributary/proto';
import { describe, expect, it } from 'vitest';
import {
  createWorkerEvent,
  decodeCancelNotice,
  decodeHeartbeat,
  decodeTaskMessage,
  decodeWorkerEventBatch,
  encodeCancelNotice,
  encodeHeartbeat,
  encodeTaskMessage,
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
      inputs: { list: [1, 'two', { three: null }] },
      logicalDate: Date.UTC(2024, 0, 1),
      dataIntervalEnd: Date.UTC(2024, 0, 2),
    });
    const message = decodeTaskMessage(bytes);
    expect(message.runId).toBe('r1');
    expect(message.dagVersion).toBe(3);
    expect(message.task).toEqual({ id: 'extract', kind: 'shell', command: 'echo hi' });
    expect(message.params).toEqual({ date: '2024-01-01' });
    expect(message.inputs).toEqual({ list: [1, 'two', { three: null }] });
    expect(message.logicalDate).toBe(Date.UTC(2024, 0, 1));
    expect(message.dataIntervalEnd).toBe(Date.UTC(2024, 0, 2));
  });

  it('rejects a task message whose JSON field is not an object, naming the field', () => {
    const bytes = toBinary(
      TaskMessageSchema,
      create(TaskMessageSchema, { ...ref, taskJson: new TextEncoder().encode('[1]') }),
    );
    expect(() => decodeTaskMessage(bytes)).toThrow(/r1\/extract: task is not a JSON object/);
    const broken = toBinary(
      TaskMessageSchema,
      create(TaskMessageSchema, { ...ref, paramsJson: new TextEncoder().encode('{') }),
    );
    expect(() => decodeTaskMessage(broken)).toThrow(/r1\/extract: params is not JSON/);
  });

  it('round-trips a finished worker event', () => {
    const event = createWorkerEvent({
      ref,
      workerId: 'w1',
      event: { case: 'finished', value: { outcome: TaskOutcome.SUCCEEDED, logTail: ['done'] } },
    });
    const batch = toBinary(WorkerEventBatchSchema, create(WorkerEventBatchSchema, { events: [event] }));
    const { events, invalid } = decodeWorkerEventBatch(batch);
    expect(invalid).toBe(0);
    const decoded = events[0]!;
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

  it('leaves out and counts the events of a batch without a ref or a kind', () => {
    const started = createWorkerEvent({ ref, workerId: 'w', event: { case: 'started', value: {} } });
    const events = [
      create(WorkerEventSchema, { ref }),
      started,
      create(WorkerEventSchema, { workerId: 'w' }),
    ];
    const decoded = decodeWorkerEventBatch(
      toBinary(WorkerEventBatchSchema, create(WorkerEventBatchSchema, { events })),
    );
    expect(decoded.invalid).toBe(2);
    expect(decoded.events.map((event) => event.event.case)).toEqual(['started']);
  });

  it('reports bytes that are no batch as DataLoss', () => {
    expect(() => decodeWorkerEventBatch(new Uint8Array([0xff, 0xff, 0xff]))).toThrow(
      expect.objectContaining({ code: Code.DataLoss }),
    );
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
