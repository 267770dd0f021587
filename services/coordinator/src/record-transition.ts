import { encodeTaskMessage, taskMessageId } from '@tributary/bus';
import {
  type AttemptState,
  type Failure,
  instanceId,
  isTerminalTaskState,
  type JsonObject,
  type JsonValue,
} from '@tributary/core';
import {
  inputsOf,
  mapInstanceRef,
  mapItemOf,
  type TaskInstanceState,
  type Transition,
} from '@tributary/engine';
import { failureToProto, jsonToValue, taskStateToProto, timestamp } from '@tributary/proto';
import { mapInstanceModel, type TaskModel } from '@tributary/spec';
import { attemptTraceparent } from '@tributary/telemetry';
import type { ActiveRun, TaskMeta } from './active-runs.js';
import type { TaskEventInit, TickBatch } from './tick-batch.js';

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
  // Rows for a fanned-out task's new instances, before their changes are written (same transaction);
  // the queue deadlines of attempts dispatched now, which their rows carry while they are queued.
  const queueDeadlines = new Map<string, number>();
  for (const command of transition.commands) {
    if (command.type === 'expand_map') addMapInstances(batch, run, command.taskId, command.count);
    if (command.type === 'schedule_queue_timeout') queueDeadlines.set(command.taskId, command.at);
  }
  for (const change of transition.changes) {
    const meta = metaOf(run, change.taskId);
    const task = run.snapshot.tasks[change.taskId]!;
    const fannedOut = task.mapCount !== undefined;
    if (isOut(change.from) && !isOut(change.to) && !fannedOut) batch.taskSlots.release(run.version);
    if (change.to === 'queued' || change.to === 'pending') {
      // A cleared task (back to pending) shows nothing of its earlier attempts until it is dispatched.
      meta.workerId = null;
      meta.startedAt = null;
      meta.finishedAt = null;
      meta.queuedAt = change.to === 'queued' ? batch.now : null;
      meta.queueDeadlineAt = queueDeadlines.get(change.taskId) ?? null;
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
    if (isTerminalTaskState(change.to))
      batch.facts.tasksFinished.push({ run, taskId: change.taskId, state: change.to });
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
      // A fanned-out task runs only through its instances: no worker heartbeats for it.
      heartbeatAt: change.to === 'running' && !fannedOut ? batch.now : null,
      reschedules: task.reschedules ?? 0,
      sensorStartedAt: task.sensorStartedAt ?? null,
      attemptBase: task.attemptBase ?? 0,
      mapCount: task.mapCount ?? null,
      // Only a queued attempt can time out in the queue: any other state clears the deadline.
      queueDeadlineAt: task.state === 'queued' ? meta.queueDeadlineAt : null,
    });
    batch.notifications.push({
      runId: run.id,
      type: 'task',
      event: taskEventBuilder(change, task, meta, context, batch.now),
    });
  }
  for (const command of transition.commands) {
    if (command.type === 'dispatch') addDispatch(batch, run, command.taskId, command.attempt);
    else if (command.type === 'cancel_attempt') {
      batch.cancels.push({
        runId: run.id,
        taskId: command.taskId,
        attempt: command.attempt,
        reason: cancelReason(run, command.taskId, context),
      });
    } else if (command.type === 'finish_run') {
      batch.finishRun(run, command.state);
    } else if (command.type === 'reopen_run') {
      // The engine has already set the new deadline, if the DAG has a dagrun_timeout. Watchers learn of
      // the reopening from the task events of the cleared tasks (a finished run has no watchers left).
      batch.reopenRun({ id: run.id, deadlineAt: run.snapshot.deadlineAt ?? null });
    }
    // expand_map and schedule_queue_timeout were handled first (queue_deadline_at is in the task row).
    // schedule_retry and schedule_run_timeout need nothing here: retry_at is in the task row and
    // deadline_at in the run row (written by reopen_run after a clear), and the timer sweeps read them.
  }
}

/**
 * The watchers' event for a task change, built only if the run has watchers when the tick commits
 * (most runs have none, and converting outputs for nobody cost CPU per task). What it reads is fixed
 * now: `task` and `meta` change in later ticks.
 */
function taskEventBuilder(
  change: Transition['changes'][number],
  task: TaskInstanceState,
  meta: TaskMeta,
  context: TransitionContext,
  now: number,
): () => TaskEventInit {
  const { taskId, to, attempt } = change;
  const { output, error, retryAt } = task;
  const workerId = meta.workerId ?? '';
  const durationMs =
    meta.startedAt !== null && meta.finishedAt !== null ? meta.finishedAt - meta.startedAt : 0;
  const logTail = isFailureState(to) ? (context.logTail ?? []) : [];
  return () => ({
    taskId,
    state: taskStateToProto(to),
    attempt,
    workerId,
    at: timestamp(now),
    ...(to === 'succeeded' ? { output: jsonToValue((output ?? null) as JsonValue) } : {}),
    ...(isFailureState(to) && error ? { error: failureToProto(error) } : {}),
    logTail,
    durationMs: BigInt(durationMs),
    ...(retryAt !== undefined && (to === 'up_for_retry' || to === 'up_for_reschedule')
      ? { retryAt: timestamp(retryAt) }
      : {}),
  });
}

/** Why an attempt is called off, as its worker logs it. */
function cancelReason(run: ActiveRun, taskId: string, context: TransitionContext): string {
  if (context.attemptOutcome === 'lost') return 'the attempt was declared lost';
  // A worker that takes the task message after its queue_timeout passed must not run it.
  if (run.snapshot.tasks[taskId]?.error?.type === 'QueueTimeout')
    return 'the attempt waited past its queue_timeout';
  return 'run cancelled';
}

const isOut = (state: string): boolean => state === 'queued' || state === 'running';

/** Task instance rows for the instances of a mapped task (the ones it already has stay as they are). */
function addMapInstances(batch: TickBatch, run: ActiveRun, taskId: string, count: number): void {
  const position = run.version.positions.get(taskId)!;
  const task = run.version.tasksById.get(taskId)!;
  const { pool } = task;
  const heartbeatTimeoutMs = task.heartbeatTimeoutMs ?? null;
  for (let mapIndex = 0; mapIndex < count; mapIndex++) {
    const instanceTaskId = instanceId(taskId, mapIndex);
    batch.newTasks.push({
      runId: run.id,
      taskId: instanceTaskId,
      position,
      pool,
      mapIndex,
      heartbeatTimeoutMs,
    });
  }
}

/** States whose error field explains them (a skip's reason and a dagrun timeout's too). */
function isFailureState(state: string): boolean {
  return state === 'failed' || state === 'up_for_retry' || state === 'skipped' || state === 'cancelled';
}

function metaOf(run: ActiveRun, taskId: string): TaskMeta {
  let meta = run.meta.get(taskId);
  if (!meta) {
    meta = { workerId: null, startedAt: null, finishedAt: null, queuedAt: null, queueDeadlineAt: null };
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
  // A worker reports the start of a short attempt only with its result (see START_REPORT_DELAY_MS in
  // the worker): it started all the same, and the start's facts (dispatch latency) count it.
  const startedUnreported =
    from === 'queued' &&
    state !== 'running' &&
    state !== 'queued' &&
    context.workerId !== undefined &&
    meta.startedAt !== null;
  if (startedUnreported) recordAttemptFact(batch, run, taskId, attempt, 'running', meta, null);
  recordAttemptFact(batch, run, taskId, attempt, state, meta, error ?? null);
}

function recordAttemptFact(
  batch: TickBatch,
  run: ActiveRun,
  taskId: string,
  attempt: number,
  state: AttemptState,
  meta: TaskMeta,
  error: Failure | null,
): void {
  // A fanned-out task runs only through its instances: they are the attempts.
  if (state === 'queued' || run.snapshot.tasks[taskId]?.mapCount !== undefined) return;
  const { pool } = taskModelOf(run, taskId);
  const { workerId, queuedAt, startedAt } = meta;
  if (state === 'running') {
    batch.facts.attemptsStarted.push({
      run,
      taskId,
      attempt,
      pool,
      workerId,
      queuedAt,
      startedAt: startedAt ?? batch.now,
    });
    return;
  }
  const retryAt = run.snapshot.tasks[taskId]?.retryAt;
  batch.facts.attemptsEnded.push({
    run,
    taskId,
    attempt,
    pool,
    state,
    workerId,
    queuedAt,
    startedAt,
    finishedAt: batch.now,
    error,
    retryAt: state === 'succeeded' || retryAt === undefined ? null : retryAt,
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

/** The model of a task, or of a mapped task's instance: its task's, with its index and item. */
function taskModelOf(run: ActiveRun, taskId: string): TaskModel {
  const ref = mapInstanceRef(run.version.plan, taskId);
  if (ref === undefined) return run.version.tasksById.get(taskId)!;
  const item = mapItemOf(run.version.plan, run.snapshot, taskId) ?? null;
  return mapInstanceModel(run.version.tasksById.get(ref.taskId)!, ref.index, item);
}

/** Adds the task message of an attempt to the tick: an outbox row, published after commit. */
export function addDispatch(batch: TickBatch, run: ActiveRun, taskId: string, attempt: number): void {
  const task = taskModelOf(run, taskId);
  const payload = encodeTaskMessage({
    runId: run.id,
    taskId,
    attempt,
    dag: run.version.dag,
    dagVersion: run.version.version,
    bundleHash: run.version.bundleHash,
    task: task as unknown as JsonObject,
    params: run.params,
    inputs: inputsOf(run.snapshot, task),
    logicalDate: run.logicalDate,
    dataIntervalEnd: run.dataIntervalEnd,
  });
  batch.dispatches.push({
    msgId: taskMessageId({ runId: run.id, taskId, attempt }),
    pool: task.pool,
    payload,
    traceparent: attemptTraceparent(run.traceparent, taskId, attempt),
  });
}
