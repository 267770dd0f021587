import type { Failure, JsonObject, JsonValue } from '@tributary/core';
import type { RunEvent, RunSummary } from '@tributary/runner';
import type { RunRenderer } from './renderer.js';

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function failureJson(failure: Failure): JsonObject {
  const json: JsonObject = { message: failure.message, type: failure.type, retryable: failure.retryable };
  if (failure.details !== undefined) json.details = failure.details as JsonObject;
  if (failure.cause !== undefined) json.cause = failureJson(failure.cause);
  return json;
}

/**
 * One progress event as a `--json` line: snake_case keys, times as ISO strings. Stack traces are left
 * out: they are for people reading a terminal, not for scripts.
 */
export function eventToJson(event: RunEvent): JsonObject {
  switch (event.type) {
    case 'run':
      return { type: 'run', run: event.run, dag: event.dag, state: event.state, at: iso(event.at) };
    case 'log':
      return {
        type: 'log',
        task: event.task,
        attempt: event.attempt,
        stream: event.stream,
        ...(event.level === undefined ? {} : { level: event.level }),
        line: event.line,
        at: iso(event.at),
      };
    case 'task': {
      const json: JsonObject = {
        type: 'task',
        task: event.task,
        state: event.state,
        attempt: event.attempt,
        at: iso(event.at),
      };
      if (event.worker !== undefined) json.worker = event.worker;
      if (event.durationMs !== undefined) json.duration_ms = event.durationMs;
      if (event.output !== undefined) json.output = event.output;
      if (event.error !== undefined) json.error = failureJson(event.error);
      if (event.logTail !== undefined) json.log_tail = event.logTail;
      if (event.retryAt !== undefined) json.retry_at = iso(event.retryAt);
      return json;
    }
  }
}

/**
 * The last `--json` line: exactly `{"run": {"id", "dag", "state"}, "tasks": {"<id>": {"state",
 * "attempts", "output"}}}`, `output` only when the task has one. Scripts and the end-to-end tests
 * compare it as a whole, so it carries nothing else (errors are in the task events before it), except
 * for a run given a logical date (`run --logical-date`): its `run` adds `logical_date`,
 * `data_interval_start` and `data_interval_end`, ISO strings like the templates'.
 */
export function summaryToJson(summary: RunSummary): JsonObject {
  const tasks: JsonObject = {};
  for (const [id, task] of Object.entries(summary.tasks)) {
    const json: { [key: string]: JsonValue } = { state: task.state, attempts: task.attempts };
    if (task.output !== undefined) json.output = task.output;
    tasks[id] = json;
  }
  const { id, dag, state, dataInterval } = summary.run;
  const run: JsonObject = { id, dag, state };
  if (dataInterval !== undefined) {
    run.logical_date = iso(dataInterval.start);
    run.data_interval_start = iso(dataInterval.start);
    run.data_interval_end = iso(dataInterval.end);
  }
  return { run, tasks };
}

/** Writes events and the summary as JSON lines. */
export function createJsonRenderer(write: (text: string) => void): RunRenderer {
  return {
    event: (event) => write(`${JSON.stringify(eventToJson(event))}\n`),
    summary: (summary) => write(`${JSON.stringify(summaryToJson(summary))}\n`),
  };
}
