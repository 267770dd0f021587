import { create, type JsonObject, toBinary } from '@bufbuild/protobuf';
import type { Value } from '@bufbuild/protobuf/wkt';
import { type AttemptState, type Failure, isTerminalTaskState, type JsonValue } from '@tributary/core';
import type { Transition } from '@tributary/engine';
import {
  failureToProto,
  jsonToValue,
  TaskMessageSchema,
  taskStateToProto,
  timestamp,
} from '@tributary/proto';
import { newTraceparent } from '@tributary/telemetry';
import type { ActiveRun, TaskMeta } from './active-runs.js';
import type { TickBatch } from './tick-batch.js';

/** What the event that caused a transition tells beyond the engine's view. */
export interface TransitionContext {
  workerId?: string;
  logTail?: string[];
  /** How the attempt ended, when the event ended one unsuccessfully. */
  attemptOutcome?: AttemptState;
  /** When the attempt started, as the worker measured it. */
  startedAt?: number;
}

/**
 * Turns an applied engine transition into the tick's writes, dispatches, cancel notices and watcher
 * notifications. This is the only place that maps engine changes onto rows.
 */
export function recordTransition(
  batch: TickBatch,
  run: ActiveRun,
  transition: Transition,
  context: TransitionContext,
): void {
  batch.touchedRuns.add(run.id);
  for (const change of transition.changes) {
    const meta = metaOf(run, change.taskId);
    const task = run.snapshot.tasks[change.taskId]!;
    if (change.to === 'queued' || change.to === 'pending') {
      // A cleared task (back to pending) shows nothing of its earlier attempts until it is dispatched.
      meta.workerId = null;
      meta.startedAt = null;
      meta.finishedAt = null;
    } else if (change.to === 'running') {
      meta.workerId = context.workerId ?? null;
      meta.startedAt = context.startedAt ?? batch.now;
    } else if (
      isTerminalTaskState(change.to) ||
      change.to === 'up_for_retry' ||
      change.to === 'up_for_reschedule'
    ) {
      meta.finishedAt = batch.now;
      if (context.workerId) meta.workerId = context.workerId;
      if (meta.startedAt === null && context.startedAt !== undefined) meta.startedAt = context.startedAt;
    }
    recordAttempt(batch, run, change.taskId, change.attempt, change.from, change.to, meta, context);
    batch.setTask({
      runId: run.id,
      taskId: change.taskId,
      state: task.state,
      attempt: task.attempt,
      retryAt: task.retryAt ?? null,
      output: task.state === 'succeeded' ? (task.output ?? null) : null,
      error: task.error ?? null,
      workerId: meta.workerId,
      startedAt: meta.startedAt,
      finishedAt: meta.finishedAt,
      heartbeatAt: change.to === 'running' ? batch.now : null,
      reschedules: task.reschedules ?? 0,
      sensorStartedAt: task.sensorStartedAt ?? null,
      attemptBase: task.attemptBase ?? 0,
    });
    batch.notifications.push({
      runId: run.id,
      type: 'task',
      event: {
        taskId: change.taskId,
        state: taskStateToProto(change.to),
        attempt: change.attempt,
        workerId: meta.workerId ?? '',
        at: timestamp(batch.now),
        ...(change.to === 'succeeded' ? { output: jsonToValue((task.output ?? null) as JsonValue) } : {}),
        ...(isFailureState(change.to) && task.error ? { error: failureToProto(task.error) } : {}),
        logTail: isFailureState(change.to) ? (context.logTail ?? []) : [],
        durationMs: BigInt(
          meta.startedAt !== null && meta.finishedAt !== null ? meta.finishedAt - meta.startedAt : 0,
        ),
        ...(task.retryAt !== undefined && (change.to === 'up_for_retry' || change.to === 'up_for_reschedule')
          ? { retryAt: timestamp(task.retryAt) }
          : {}),
      },
    });
  }
  for (const command of transition.commands) {
    if (command.type === 'dispatch') addDispatch(batch, run, command.taskId, command.attempt);
    else if (command.type === 'cancel_attempt') {
      batch.cancels.push({
        runId: run.id,
        taskId: command.taskId,
        attempt: command.attempt,
        reason: 'run cancelled',
      });
    } else if (command.type === 'finish_run') {
      batch.finishRun(run.id, command.state);
    } else if (command.type === 'reopen_run') {
      // The engine has already set the new deadline, if the DAG has a dagrun_timeout. Watchers learn of
      // the reopening from the task events of the cleared tasks (a finished run has no watchers left).
      batch.reopenRun({ id: run.id, deadlineAt: run.snapshot.deadlineAt ?? null });
    }
    // schedule_retry and schedule_run_timeout need nothing here: retry_at is in the task row and
    // deadline_at in the run row (written by reopen_run after a clear), and the timer sweeps read them.
  }
}

/** States whose error field explains them (a skip's reason and a dagrun timeout's too). */
function isFailureState(state: string): boolean {
  return state === 'failed' || state === 'up_for_retry' || state === 'skipped' || state === 'cancelled';
}

function metaOf(run: ActiveRun, taskId: string): TaskMeta {
  let meta = run.meta.get(taskId);
  if (!meta) {
    meta = { workerId: null, startedAt: null, finishedAt: null };
    run.meta.set(taskId, meta);
  }
  return meta;
}

function recordAttempt(
  batch: TickBatch,
  run: ActiveRun,
  taskId: string,
  attempt: number,
  from: string,
  to: string,
  meta: TaskMeta,
  context: TransitionContext,
): void {
  const state = attemptStateFor(from, to, context);
  if (state === null) return;
  const error: Failure | undefined =
    state === 'succeeded' || state === 'rescheduled' ? undefined : run.snapshot.tasks[taskId]?.error;
  batch.mergeAttempt({
    runId: run.id,
    taskId,
    attempt,
    state,
    workerId: meta.workerId,
    queuedAt: batch.now,
    startedAt: meta.startedAt,
    finishedAt: state === 'queued' || state === 'running' ? null : batch.now,
    error: state === 'queued' || state === 'running' ? null : (error ?? null),
    logTail: context.logTail ?? null,
  });
}

/** The attempt's state after a task change, or null when the change does not concern an attempt. */
function attemptStateFor(from: string, to: string, context: TransitionContext): AttemptState | null {
  if (to === 'queued') return 'queued';
  if (to === 'running') return 'running';
  if (from !== 'queued' && from !== 'running') return null;
  if (to === 'succeeded') return 'succeeded';
  if (to === 'cancelled') return 'cancelled';
  if (to === 'up_for_reschedule') return 'rescheduled';
  if (to === 'skipped') return 'skipped';
  if (to === 'failed' || to === 'up_for_retry') return context.attemptOutcome ?? 'failed';
  return null;
}

function addDispatch(batch: TickBatch, run: ActiveRun, taskId: string, attempt: number): void {
  const task = run.version.tasksById.get(taskId)!;
  const inputs: Record<string, Value> = {};
  for (const upstream of task.needs)
    inputs[upstream] = jsonToValue((run.snapshot.tasks[upstream]?.output ?? null) as JsonValue);
  const traceparent = newTraceparent();
  const message = create(TaskMessageSchema, {
    runId: run.id,
    taskId,
    attempt,
    dag: run.version.dag,
    dagVersion: run.version.version,
    bundleHash: run.version.bundleHash,
    task: task as unknown as JsonObject,
    params: run.params,
    inputs,
    logicalDate: timestamp(run.logicalDate),
  });
  batch.dispatches.push({
    message,
    outbox: {
      msgId: `${run.id}.${taskId}.${attempt}`,
      pool: task.pool,
      payload: toBinary(TaskMessageSchema, message),
      traceparent,
    },
  });
}
