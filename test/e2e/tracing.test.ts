import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { runStateFromProto, taskStateFromProto, valueToJson } from '@tributary/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type OtlpReceiver,
  type ReceivedSpan,
  startOtlpReceiver,
  stopAll,
  waitFor,
} from '../harness/index.js';
import { type Cluster, REPO_ROOT, startCluster } from './cluster.js';

// OTLP span kinds.
const SERVER = 2;
const PRODUCER = 4;
const CONSUMER = 5;
const ERROR = 2;

let receiver: OtlpReceiver;
let cluster: Cluster;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  // The standard variables only: an OTLP/HTTP endpoint, JSON encoding, and a short export delay.
  const otel = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  cluster = await startCluster({ workers: 1, coordinatorEnv: otel, workerEnv: () => otel });
  await cluster.client.deployDagFolder(join(REPO_ROOT, 'test', 'fixtures', 'dags', 'traced'));
  await cluster.client.deployDagFolder(join(REPO_ROOT, 'test', 'fixtures', 'dags', 'slow'));
  // This test program is a traced gRPC client: its active span's context goes with its calls.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});

afterAll(async () => {
  cluster?.client.close();
  context.disable();
  propagation.disable();
  await stopAll();
});

describe('tracing', () => {
  it('puts a run, its attempts, their messages, the worker spans and the task code spans in the caller trace', async () => {
    const clientTraceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    const caller = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: clientTraceId,
      spanId: clientSpanId,
      traceFlags: 1,
    });
    const { run: triggered } = await context.with(caller, () => cluster.client.triggerRun({ dag: 'traced' }));
    const runId = triggered!.id;
    const run = await waitFor(
      async () => {
        const current = await cluster.client.getRun(runId);
        return runStateFromProto(current.state) === 'succeeded' && current;
      },
      { description: 'the traced run to succeed', timeoutMs: 30_000 },
    );

    // produce, flaky twice, each[0] and each[1]: five attempts, five messages, five executions.
    const spans = await waitFor(
      () => {
        const inTrace = receiver.spans.filter((span) => span.traceId === clientTraceId);
        const names = new Set(inTrace.map((span) => span.name));
        const complete =
          names.has('run traced') &&
          names.has('compute items') &&
          names.has('user api span') &&
          inTrace.filter((span) => span.kind === CONSUMER).length === 5;
        return complete && inTrace;
      },
      { description: 'every span of the run to reach the receiver', timeoutMs: 15_000 },
    );
    // One trace: nothing of this run went anywhere else.
    expect(
      receiver.spans.filter(
        (s) => s.attributes['cicd.pipeline.run.id'] === runId && s.traceId !== clientTraceId,
      ),
    ).toEqual([]);

    const [runSpan, ...moreRunSpans] = spans.filter((span) => span.name === 'run traced');
    expect(moreRunSpans).toEqual([]);
    expect(runSpan).toMatchObject({
      service: 'tributary-coordinator',
      parentSpanId: clientSpanId,
      kind: SERVER,
      attributes: {
        'cicd.pipeline.name': 'traced',
        'cicd.pipeline.run.id': runId,
        'cicd.pipeline.result': 'success',
        'tributary.dag.version': 1,
        'tributary.run.state': 'succeeded',
      },
    });

    const attempts = spans.filter((span) => span.name.startsWith('task '));
    expect(
      attempts
        .map((span) => `${span.attributes['tributary.task.id']}#${span.attributes['tributary.task.attempt']}`)
        .sort(),
    ).toEqual(['each[0]#1', 'each[1]#1', 'flaky#1', 'flaky#2', 'produce#1']);
    for (const attempt of attempts) {
      expect(attempt.parentSpanId).toBe(runSpan!.spanId);
      expect(attempt.service).toBe('tributary-coordinator');
      expect(attempt.attributes).toMatchObject({
        'cicd.pipeline.name': 'traced',
        'cicd.pipeline.run.id': runId,
        'tributary.pool': 'default',
      });
      expect(attempt.attributes['tributary.worker.id']).toEqual(expect.any(String));
      expect(attempt.events.map((event) => event.name)).toContain('started');
    }
    const attemptOf = (taskId: string, n: number) =>
      attempts.find(
        (s) => s.attributes['tributary.task.id'] === taskId && s.attributes['tributary.task.attempt'] === n,
      )!;
    // The retry is visible: a failed attempt with its retry, then a successful one.
    expect(attemptOf('flaky', 1)).toMatchObject({
      statusCode: ERROR,
      attributes: {
        'cicd.pipeline.task.name': 'flaky',
        'cicd.pipeline.task.run.result': 'failure',
        'tributary.task.state': 'failed',
      },
    });
    expect(attemptOf('flaky', 1).events.map((event) => event.name)).toContain('retry scheduled');
    expect(attemptOf('flaky', 2).attributes['cicd.pipeline.task.run.result']).toBe('success');
    expect(attemptOf('each[1]', 1).attributes).toMatchObject({
      'cicd.pipeline.task.name': 'each',
      'tributary.map.index': 1,
    });

    // Each attempt's message: a publish span under the attempt, and the worker's span under that.
    const executionOf = (taskId: string, n: number): ReceivedSpan => {
      const attempt = attemptOf(taskId, n);
      const publish = spans.find((s) => s.kind === PRODUCER && s.parentSpanId === attempt.spanId);
      expect(publish, `publish span of ${taskId}#${n}`).toBeDefined();
      expect(publish!.attributes).toMatchObject({
        'messaging.system': 'nats',
        'messaging.operation.type': 'publish',
      });
      const execution = spans.find((s) => s.kind === CONSUMER && s.parentSpanId === publish!.spanId);
      expect(execution, `worker span of ${taskId}#${n}`).toBeDefined();
      expect(execution).toMatchObject({
        service: 'tributary-worker',
        name: `execute ${taskId}`,
        attributes: {
          'messaging.operation.type': 'process',
          'messaging.destination.name': publish!.attributes['messaging.destination.name'],
          'cicd.pipeline.run.id': runId,
          'tributary.task.id': taskId,
          'tributary.task.attempt': n,
          'tributary.worker.id': attempt.attributes['tributary.worker.id'],
        },
      });
      return execution!;
    };
    for (const [taskId, n] of [
      ['produce', 1],
      ['flaky', 1],
      ['flaky', 2],
      ['each[0]', 1],
      ['each[1]', 1],
    ] as const)
      executionOf(taskId, n);

    // The task's own code: ctx.span and the OpenTelemetry API both land under the worker's span.
    const produceExecution = executionOf('produce', 1);
    for (const name of ['compute items', 'user api span']) {
      const user = spans.find((span) => span.name === name)!;
      expect(user.parentSpanId, name).toBe(produceExecution.spanId);
    }
    expect(spans.find((span) => span.name === 'compute items')!.attributes['user.step']).toBe('compute');

    // The traceparent the tasks were given is their worker span's (ctx.traceparent, TRACEPARENT).
    const outputOf = (taskId: string) =>
      valueToJson(run.tasks.find((task) => task.taskId === taskId)!.output!) as { traceparent: string };
    expect(outputOf('produce').traceparent).toBe(`00-${clientTraceId}-${produceExecution.spanId}-01`);
    expect(outputOf('flaky').traceparent).toBe(`00-${clientTraceId}-${executionOf('flaky', 2).spanId}-01`);
  });

  it('starts a trace of its own for a run triggered by a program without a span', async () => {
    const { run } = await cluster.client.triggerRun({ dag: 'traced' });
    const ofRun = (name: string) =>
      receiver.spans.filter(
        (span) => span.name.startsWith(name) && span.attributes['cicd.pipeline.run.id'] === run!.id,
      );
    const runSpan = await waitFor(() => ofRun('task ').length === 5 && ofRun('run traced')[0], {
      description: 'the run span and its five attempt spans',
      timeoutMs: 30_000,
    });
    expect(runSpan.parentSpanId).toBe('');
    const attempts = ofRun('task ');
    for (const attempt of attempts) expect(attempt.traceId).toBe(runSpan.traceId);
  });

  it('keeps one run span, parent of every attempt span, across a coordinator restart mid-run', async () => {
    const { run } = await cluster.client.triggerRun({ dag: 'slow' });
    const runId = run!.id;
    await waitFor(
      async () => {
        const current = await cluster.client.getRun(runId);
        return current.tasks.some(
          (task) => task.taskId === 'nap' && taskStateFromProto(task.state) === 'running',
        );
      },
      { description: 'nap to be running', timeoutMs: 20_000, intervalMs: 50 },
    );
    await cluster.coordinator.kill();
    await cluster.startCoordinator();
    const ofRun = () => receiver.spans.filter((span) => span.attributes['cicd.pipeline.run.id'] === runId);
    const spans = await waitFor(
      () => {
        const names = ofRun().map((span) => span.name);
        return (
          names.includes('run slow') && names.includes('task after') && names.includes('task nap') && ofRun()
        );
      },
      { description: 'the run span and both attempt spans after the restart', timeoutMs: 30_000 },
    );
    const runSpans = spans.filter((span) => span.name === 'run slow');
    expect(runSpans).toHaveLength(1);
    // Started before the restart, recorded after it by the new coordinator, with the ids fixed at trigger.
    expect(runSpans[0]!.startMs).toBeLessThanOrEqual(Number(run!.createdAt!.seconds) * 1000 + 1000);
    for (const attempt of spans.filter((span) => span.name.startsWith('task ')))
      expect(attempt.parentSpanId).toBe(runSpans[0]!.spanId);
    // The worker span of nap, created before the restart, is in the same trace. (Its parent, the publish
    // span, may have died unexported with the SIGKILLed coordinator.)
    const napExecution = receiver.spans.find(
      (span) => span.name === 'execute nap' && span.attributes['cicd.pipeline.run.id'] === runId,
    );
    expect(napExecution?.traceId).toBe(runSpans[0]!.traceId);
  });
});
