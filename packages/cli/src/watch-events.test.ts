import {
  jsonToValue,
  type Run,
  RunState,
  TaskState,
  timestamp,
  type WatchRunResponse,
} from '@tributary/proto';
import { describe, expect, it } from 'vitest';
import { translateWatchResponse } from './watch-events.js';

// Plain objects in the shape protobuf-es gives: these tests need no gRPC.
const T0 = Date.UTC(2025, 0, 1);

function run(state: RunState, tasks: Partial<Run['tasks'][number]>[]): Run {
  return {
    $typeName: 'tributary.v1.Run',
    id: 'r1',
    dag: 'diamond',
    dagVersion: 2,
    state,
    requestId: '',
    createdAt: timestamp(T0),
    finishedAt: state === RunState.RUNNING ? undefined : timestamp(T0 + 4000),
    tasks: tasks.map((task) => ({
      $typeName: 'tributary.v1.TaskInstance',
      taskId: 'x',
      state: TaskState.PENDING,
      attempt: 0,
      pool: 'default',
      workerId: '',
      attempts: [],
      ...task,
    })),
    taskCounts: {},
  } as Run;
}

function response(event: WatchRunResponse['event']): WatchRunResponse {
  return { $typeName: 'tributary.v1.WatchRunResponse', event } as WatchRunResponse;
}

describe('translateWatchResponse', () => {
  it('turns a snapshot into a run event and one event per task that has moved past pending', () => {
    const snapshot = run(RunState.RUNNING, [
      {
        taskId: 'extract',
        state: TaskState.SUCCEEDED,
        attempt: 1,
        workerId: 'w1',
        output: jsonToValue({ n: [1] }),
      },
      { taskId: 'load', state: TaskState.PENDING },
    ]);
    const step = translateWatchResponse(response({ case: 'snapshot', value: snapshot }), T0 + 1);
    expect(step.summary).toBeUndefined();
    expect(step.events).toEqual([
      { type: 'run', run: 'r1', dag: 'diamond', state: 'running', at: T0 },
      {
        type: 'task',
        task: 'extract',
        state: 'succeeded',
        attempt: 1,
        at: T0 + 1,
        worker: 'w1',
        output: { n: [1] },
      },
    ]);
  });

  it('turns a task event into the same task event a local run emits', () => {
    const step = translateWatchResponse(
      response({
        case: 'task',
        value: {
          $typeName: 'tributary.v1.TaskEvent',
          taskId: 'flaky',
          state: TaskState.UP_FOR_RETRY,
          attempt: 2,
          workerId: 'w2',
          at: timestamp(T0 + 10),
          error: {
            $typeName: 'tributary.v1.Failure',
            message: 'exit 3',
            type: 'ShellExitError',
            retryable: true,
            stack: '',
          },
          logTail: ['no data'],
          durationMs: 1500n,
          retryAt: timestamp(T0 + 110),
        },
      }),
    );
    expect(step.events).toEqual([
      {
        type: 'task',
        task: 'flaky',
        state: 'up_for_retry',
        attempt: 2,
        at: T0 + 10,
        worker: 'w2',
        durationMs: 1500,
        error: { message: 'exit 3', type: 'ShellExitError', retryable: true },
        logTail: ['no data'],
        retryAt: T0 + 110,
      },
    ]);
  });

  it('turns the finished run into a final run event and the summary a local run produces', () => {
    const finished = run(RunState.FAILED, [
      { taskId: 'a', state: TaskState.SUCCEEDED, attempt: 1, output: jsonToValue(null) },
      { taskId: 'b', state: TaskState.UPSTREAM_FAILED, attempt: 0 },
    ]);
    const step = translateWatchResponse(response({ case: 'finished', value: finished }));
    expect(step.events).toEqual([{ type: 'run', run: 'r1', dag: 'diamond', state: 'failed', at: T0 + 4000 }]);
    expect(step.summary).toEqual({
      run: { id: 'r1', dag: 'diamond', state: 'failed', startedAt: T0, finishedAt: T0 + 4000 },
      tasks: {
        a: { state: 'succeeded', attempts: 1, output: null },
        b: { state: 'upstream_failed', attempts: 0 },
      },
      context: {},
    });
  });

  it('gives the summary the context of the finished run', () => {
    const finished: Run = { ...run(RunState.SUCCEEDED, []), context: { rows: 42 } };
    const step = translateWatchResponse(response({ case: 'finished', value: finished }));
    expect(step.summary?.context).toEqual({ rows: 42 });
  });

  it('ignores a message kind it does not know', () => {
    expect(translateWatchResponse(response({ case: undefined }))).toEqual({ events: [] });
  });
});
