import {
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { TaskDelivery } from '@tributary/bus';
import { parseInstanceId } from '@tributary/core';
import type { ExecutionResult } from '@tributary/executors';
import { extractContext, injectTraceparent, tributaryTracer } from '@tributary/telemetry';

/**
 * The worker's span of one delivered attempt (a `process` span of the messaging conventions): a child
 * of the coordinator's publish span, whose context the task message's header carries. The task's own
 * code runs under it: shell tasks get its `TRACEPARENT`, node tasks run inside it (`ctx.span`, the
 * OpenTelemetry API).
 */
export class AttemptSpan {
  /** The traceparent handed to the task; the delivery's own while tracing is off. */
  readonly traceparent: string | undefined;
  readonly #span: Span;
  readonly #context: Context;

  /** @param destination - the subject the task message came on */
  constructor(delivery: TaskDelivery, destination: string, pool: string, workerId: string) {
    const { message } = delivery;
    const instance = parseInstanceId(message.taskId);
    this.#span = tributaryTracer().startSpan(
      `execute ${message.taskId}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.destination.name': destination,
          'cicd.pipeline.name': message.dag,
          'cicd.pipeline.run.id': message.runId,
          'cicd.pipeline.task.name': instance?.taskId ?? message.taskId,
          'cicd.pipeline.task.run.id': `${message.runId}/${message.taskId}/${message.attempt}`,
          'cicd.worker.id': workerId,
          'tributary.dag.version': message.dagVersion,
          'tributary.task.id': message.taskId,
          'tributary.task.attempt': message.attempt,
          'tributary.pool': pool,
          'tributary.worker.id': workerId,
          ...(instance === undefined ? {} : { 'tributary.map.index': instance.index }),
          ...(delivery.redelivered ? { 'tributary.redelivered': true } : {}),
        },
      },
      extractContext(delivery.traceparent, ROOT_CONTEXT),
    );
    this.#context = trace.setSpan(ROOT_CONTEXT, this.#span);
    this.traceparent = injectTraceparent(this.#context) ?? delivery.traceparent;
  }

  /** Runs `work` with this span active (service log lines and sensor pokes attach to it). */
  run<T>(work: () => T): T {
    return context.with(this.#context, work);
  }

  /** Records how the attempt ended. */
  result(result: ExecutionResult): void {
    this.#span.setAttribute('tributary.task.outcome', result.outcome);
    if (result.error === undefined) return;
    this.#span.setAttribute('error.type', result.error.type);
    if (result.outcome === 'failed' || result.outcome === 'timed_out')
      this.#span.setStatus({ code: SpanStatusCode.ERROR, message: result.error.message });
  }

  /** Marks a moment of the attempt (handed back at shutdown, ...). */
  event(name: string): void {
    this.#span.addEvent(name);
  }

  end(): void {
    this.#span.end();
  }
}
