import {
  failureFromProto,
  millisFromTimestamp,
  type Run,
  runStateFromProto,
  type TaskEvent,
  type TaskInstance,
  taskStateFromProto,
  valueToJson,
  type WatchRunResponse,
} from '@tributary/proto';
import type { RunEvent, RunSummary, TaskStateEvent, TaskSummary } from '@tributary/runner';

/** What one `WatchRun` message means for the renderer. */
export interface WatchStep {
  events: RunEvent[];
  /** Set by the last message, when the run finished. */
  summary?: RunSummary;
}

function taskSummary(task: TaskInstance): TaskSummary {
  const summary: TaskSummary = { state: taskStateFromProto(task.state), attempts: task.attempt };
  if (task.output !== undefined) summary.output = valueToJson(task.output);
  if (task.error !== undefined) summary.error = failureFromProto(task.error);
  return summary;
}

/** A finished run as the same summary a local run produces. */
export function summaryFromRun(run: Run, now: number = Date.now()): RunSummary {
  const tasks: RunSummary['tasks'] = {};
  for (const task of run.tasks) tasks[task.taskId] = taskSummary(task);
  const startedAt = millisFromTimestamp(run.createdAt) ?? now;
  const finishedAt = millisFromTimestamp(run.finishedAt) ?? now;
  return {
    run: { id: run.id, dag: run.dag, state: runStateFromProto(run.state), startedAt, finishedAt },
    tasks,
    context: run.context ?? {},
  };
}

/** A task state change from the server as the same event a local run emits. */
export function taskEventFromProto(event: TaskEvent, now: number = Date.now()): TaskStateEvent {
  const converted: TaskStateEvent = {
    type: 'task',
    task: event.taskId,
    state: taskStateFromProto(event.state),
    attempt: event.attempt,
    at: millisFromTimestamp(event.at) ?? now,
  };
  if (event.workerId !== '') converted.worker = event.workerId;
  // Zero means "not set" on the wire: an attempt that ended reports at least the time it ran.
  if (event.durationMs > 0n) converted.durationMs = Number(event.durationMs);
  if (event.output !== undefined) converted.output = valueToJson(event.output);
  if (event.error !== undefined) converted.error = failureFromProto(event.error);
  if (event.logTail.length > 0) converted.logTail = [...event.logTail];
  const retryAt = millisFromTimestamp(event.retryAt);
  if (retryAt !== undefined) converted.retryAt = retryAt;
  return converted;
}

/** The current state of each task that has moved past `pending`, so a late watcher sees where things are. */
function snapshotEvents(run: Run, now: number): RunEvent[] {
  const events: RunEvent[] = [
    {
      type: 'run',
      run: run.id,
      dag: run.dag,
      state: 'running',
      at: millisFromTimestamp(run.createdAt) ?? now,
    },
  ];
  for (const task of run.tasks) {
    const state = taskStateFromProto(task.state);
    if (state === 'pending') continue;
    const event: TaskStateEvent = { type: 'task', task: task.taskId, state, attempt: task.attempt, at: now };
    if (task.workerId !== '') event.worker = task.workerId;
    if (task.output !== undefined && state === 'succeeded') event.output = valueToJson(task.output);
    if (task.error !== undefined) event.error = failureFromProto(task.error);
    events.push(event);
  }
  return events;
}

/** Translates one `WatchRun` message into progress events and, at the end, the run's summary. */
export function translateWatchResponse(response: WatchRunResponse, now: number = Date.now()): WatchStep {
  switch (response.event.case) {
    case 'snapshot':
      return { events: snapshotEvents(response.event.value, now) };
    case 'task':
      return { events: [taskEventFromProto(response.event.value, now)] };
    case 'finished': {
      const summary = summaryFromRun(response.event.value, now);
      const { id, dag, state, finishedAt } = summary.run;
      return { events: [{ type: 'run', run: id, dag, state, at: finishedAt }], summary };
    }
    default:
      // A message kind this build does not know: nothing to show.
      return { events: [] };
  }
}
