import { type Attributes, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Bus, OutgoingTask } from '@tributary/bus';
import { type AttemptState, parseInstanceId, type RunState } from '@tributary/core';
import type { OutboxMessage } from '@tributary/db';
import {
  attemptTraceparent,
  extractContext,
  injectTraceparent,
  parseTraceparent,
  recordLateSpan,
  tracingEnabled,
  tributaryTracer,
} from '@tributary/telemetry';
import type { ActiveRun } from './active-runs.js';
import type { AttemptEnded, RunFinished, TickFacts, TickObserver } from './tick-facts.js';

/** The name of a run's span. */
export function runSpanName(dag: string): string {
  return `run ${dag}`;
}

/**
 * Records the spans of the coordinator's side of a run's trace once the tick that ended them committed:
 * a span per task attempt (from dispatch to result) and the run's root span (from trigger to finish).
 * Both began long before, maybe under another leader: their ids were fixed then (the run's stored with
 * it, the attempts' derived from it), so the workers' spans, created meanwhile, are their children.
 */
export class RunTracing implements TickObserver {
  observe(facts: TickFacts): void {
    // Off, tracing costs this check per tick and nothing per task.
    if (!tracingEnabled()) return;
    for (const ended of facts.attemptsEnded) recordAttemptSpan(ended);
    for (const finished of facts.runsFinished) recordRunSpan(finished);
  }
}

/**
 * Publishes the task messages of outbox rows (`bus.publishTasks`, the rows' bytes as they are), each in
 * a `publish` span of the messaging conventions, a child of its attempt's span, whose context the
 * message header carries to the worker.
 */
export async function publishTasksTraced(bus: Bus, rows: readonly OutboxMessage[]): Promise<void> {
  const tasks = rows.map(
    ({ msgId, pool, payload, traceparent }): OutgoingTask =>
      traceparent === null ? { msgId, pool, payload } : { msgId, pool, payload, traceparent },
  );
  if (!tracingEnabled()) return bus.publishTasks(tasks);
  const tracer = tributaryTracer();
  const spans = tasks.map((task) => {
    const destination = bus.subjects.task(task.pool);
    return tracer.startSpan(
      `publish ${destination}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'publish',
          'messaging.operation.name': 'publish',
          'messaging.destination.name': destination,
          'messaging.message.id': task.msgId,
          'tributary.pool': task.pool,
        },
      },
      extractContext(task.traceparent),
    );
  });
  try {
    await bus.publishTasks(
      tasks.map((task, i) => {
        const traceparent = injectTraceparent(trace.setSpan(ROOT_CONTEXT, spans[i]!)) ?? task.traceparent;
        return traceparent === undefined ? task : { ...task, traceparent };
      }),
    );
  } catch (error) {
    for (const span of spans) span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}

function recordRunSpan({ run, state, finishedAt }: RunFinished): void {
  recordLateSpan({
    name: runSpanName(run.version.dag),
    kind: SpanKind.SERVER,
    traceparent: run.traceparent,
    parentSpanId: run.traceParentSpanId,
    startTime: run.createdAt,
    endTime: finishedAt,
    attributes: {
      ...runAttributes(run),
      'cicd.pipeline.result': RUN_RESULTS[state] ?? state,
      'tributary.run.state': state,
    },
    ...(state === 'failed' ? { error: `run ${run.id} failed` } : {}),
  });
}

function recordAttemptSpan(ended: AttemptEnded): void {
  const { run, taskId, attempt, state, error } = ended;
  const started = ended.startedAt ?? ended.finishedAt;
  const instance = parseInstanceId(taskId);
  const attributes: Attributes = {
    ...runAttributes(run),
    'cicd.pipeline.task.name': instance?.taskId ?? taskId,
    'cicd.pipeline.task.run.id': `${run.id}/${taskId}/${attempt}`,
    'tributary.task.id': taskId,
    'tributary.task.attempt': attempt,
    'tributary.task.state': state,
    'tributary.pool': ended.pool,
  };
  const result = attemptResult(state, error?.type);
  if (result !== undefined) attributes['cicd.pipeline.task.run.result'] = result;
  if (instance !== undefined) attributes['tributary.map.index'] = instance.index;
  if (ended.workerId !== null) {
    attributes['tributary.worker.id'] = ended.workerId;
    attributes['cicd.worker.id'] = ended.workerId;
  }
  if (error !== null) attributes['error.type'] = error.type;
  const events: { name: string; time: number; attributes?: Attributes }[] = [];
  if (ended.startedAt !== null)
    events.push({
      name: 'started',
      time: ended.startedAt,
      ...(ended.workerId === null ? {} : { attributes: { 'tributary.worker.id': ended.workerId } }),
    });
  if (state === 'lost')
    events.push({ name: 'lost', time: ended.finishedAt, attributes: { reason: error?.message ?? '' } });
  if (ended.retryAt !== null) {
    events.push({
      name: state === 'rescheduled' ? 'sensor rescheduled' : 'retry scheduled',
      time: ended.finishedAt,
      attributes: { 'tributary.retry_at': new Date(ended.retryAt).toISOString() },
    });
  }
  recordLateSpan({
    name: `task ${taskId}`,
    traceparent: attemptTraceparent(run.traceparent, taskId, attempt),
    parentSpanId: parseTraceparent(run.traceparent)?.spanId ?? null,
    // From dispatch; an attempt loaded after a restart has no dispatch time: from its start then.
    startTime: ended.queuedAt ?? started,
    endTime: ended.finishedAt,
    attributes,
    events,
    ...(isFailure(state) ? { error: error?.message ?? state } : {}),
  });
}

function runAttributes(run: ActiveRun): Attributes {
  return {
    'cicd.pipeline.name': run.version.dag,
    'cicd.pipeline.run.id': run.id,
    'tributary.dag.version': run.version.version,
  };
}

// OpenTelemetry's CICD result values.
const RUN_RESULTS: Partial<Record<RunState, string>> = {
  succeeded: 'success',
  failed: 'failure',
  cancelled: 'cancellation',
};

function attemptResult(state: AttemptState, errorType: string | undefined): string | undefined {
  switch (state) {
    case 'succeeded':
      return 'success';
    case 'failed':
      return errorType === 'TimeoutError' ? 'timeout' : 'failure';
    case 'timed_out':
      return 'timeout';
    case 'lost':
      return 'error';
    case 'cancelled':
      return 'cancellation';
    case 'skipped':
      return 'skip';
    default:
      // A rescheduled sensor attempt has no result: the sensor goes on in a later attempt.
      return undefined;
  }
}

function isFailure(state: AttemptState): boolean {
  return state === 'failed' || state === 'timed_out' || state === 'lost';
}
