import { applyEvent, createRunSnapshot, type EngineEvent } from '@tributary/engine';
import { taskStateFromProto } from '@tributary/proto';
import { type DagModel, taskDefaults } from '@tributary/spec';
import { describe, expect, it } from 'vitest';
import { type ActiveRun, compileVersion } from './active-runs.js';
import { recordTransition } from './record-transition.js';
import { TickBatch } from './tick-batch.js';

const T0 = Date.UTC(2025, 0, 1);
const HOUR = 3_600_000;

function shellTask(id: string, needs: string[] = []) {
  return {
    id,
    kind: 'shell',
    ...taskDefaults(),
    needs,
    command: 'true',
  };
}

/** A run of `extract -> load` (or of `tasks`) with a one-hour dagrun_timeout, started at T0. */
function newRun(tasks = [shellTask('extract'), shellTask('load', ['extract'])]): ActiveRun {
  const model = {
    name: 'etl',
    paramsSchema: { type: 'object' },
    tasks,
    specFile: 'dag.yaml',
    dagrunTimeoutMs: HOUR,
    maxActiveTasks: null,
    maxActiveRuns: null,
  } as unknown as DagModel;
  const version = compileVersion({ dag: 'etl', version: 1, bundleHash: 'h', model });
  return {
    id: 'run-1',
    version,
    params: {},
    snapshot: { ...createRunSnapshot(version.plan), seed: 'run-1' },
    meta: new Map(),
    createdAt: T0,
    logicalDate: T0,
    dataIntervalEnd: T0,
    runType: 'manual',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    traceParentSpanId: null,
  };
}

function apply(batch: TickBatch, run: ActiveRun, event: EngineEvent): void {
  const transition = applyEvent(run.version.plan, run.snapshot, event);
  expect(transition.applied).toBe(true);
  recordTransition(batch, run, transition, { workerId: 'w1' });
}

/** Starts the run and fails `extract` on its first attempt: the run ends failed. */
function failExtract(batch: TickBatch, run: ActiveRun): void {
  apply(batch, run, { type: 'run_started', at: T0 });
  apply(batch, run, { type: 'task_started', taskId: 'extract', attempt: 1, at: T0 + 10 });
  apply(batch, run, {
    type: 'task_failed',
    taskId: 'extract',
    attempt: 1,
    reason: 'error',
    error: { message: 'exited with code 3', type: 'ShellExitError', retryable: true },
    at: T0 + 20,
  });
  expect(run.snapshot.state).toBe('failed');
}

describe('recordTransition for a clear', () => {
  it('reopens a finished run with a new deadline, resets the task rows and dispatches the next attempt', () => {
    const run = newRun();
    const earlier = new TickBatch(T0 + 20);
    failExtract(earlier, run);
    expect([...earlier.finishedRuns.keys()]).toEqual(['run-1']);

    const now = T0 + 5 * HOUR;
    const batch = new TickBatch(now);
    apply(batch, run, { type: 'tasks_cleared', taskIds: ['extract', 'load'], at: now });

    expect([...batch.reopenedRuns.values()]).toEqual([{ id: 'run-1', deadlineAt: now + HOUR }]);
    expect(batch.finishedRuns.size).toBe(0);
    expect(batch.tasks.get('run-1/extract')).toMatchObject({
      state: 'queued',
      attempt: 2,
      attemptBase: 1,
      error: null,
      workerId: null,
      startedAt: null,
      finishedAt: null,
    });
    expect(batch.tasks.get('run-1/load')).toMatchObject({ state: 'pending', attempt: 0, attemptBase: 0 });
    expect(batch.dispatches.map((d) => d.msgId)).toEqual(['run-1.extract.2']);
    // Only the new attempt is written: attempt 1's row (its failure) is left as it was.
    expect([...batch.attempts.keys()]).toEqual(['run-1/extract/2']);
    // Watchers see the cleared tasks go back to pending, then the dispatch.
    expect(
      batch.notifications.map((n) =>
        n.type === 'task' ? `${n.event().taskId}:${taskStateFromProto(n.event().state!)}` : n.type,
      ),
    ).toEqual(['extract:pending', 'load:pending', 'extract:queued']);
  });

  it('drops a finish and its watcher notification when the run is reopened in the same tick', () => {
    const run = newRun();
    const batch = new TickBatch(T0 + 20);
    failExtract(batch, run);
    expect(batch.notifications.some((n) => n.type === 'finished')).toBe(true);

    apply(batch, run, { type: 'tasks_cleared', taskIds: ['extract'], at: T0 + 20 });

    expect(batch.finishedRuns.size).toBe(0);
    expect([...batch.reopenedRuns.keys()]).toEqual(['run-1']);
    expect(batch.notifications.some((n) => n.type === 'finished')).toBe(false);
  });

  it('keeps only the finish when a run reopened in a tick finishes again in it', () => {
    const run = newRun();
    const batch = new TickBatch(T0 + 20);
    failExtract(batch, run);
    apply(batch, run, { type: 'tasks_cleared', taskIds: ['extract'], at: T0 + 30 });
    apply(batch, run, { type: 'task_started', taskId: 'extract', attempt: 2, at: T0 + 40 });
    apply(batch, run, {
      type: 'task_failed',
      taskId: 'extract',
      attempt: 2,
      reason: 'error',
      error: { message: 'exited with code 3', type: 'ShellExitError', retryable: true },
      at: T0 + 50,
    });

    expect(batch.reopenedRuns.size).toBe(0);
    expect([...batch.finishedRuns.values()]).toEqual([{ id: 'run-1', state: 'failed', finishedAt: T0 + 20 }]);
    expect(batch.notifications.filter((n) => n.type === 'finished')).toHaveLength(1);
  });
});

describe('recordTransition for a queue_timeout', () => {
  const gpuRun = () =>
    newRun([
      { ...shellTask('extract'), pool: 'gpu', queueTimeoutMs: 60_000 },
      shellTask('load', ['extract']),
    ]);

  it('writes the queue deadline with the dispatched attempt and clears it once a worker started it', () => {
    const run = gpuRun();
    const batch = new TickBatch(T0);
    apply(batch, run, { type: 'run_started', at: T0 });
    expect(batch.tasks.get('run-1/extract')).toMatchObject({ state: 'queued', queueDeadlineAt: T0 + 60_000 });

    const later = new TickBatch(T0 + 10);
    apply(later, run, { type: 'task_started', taskId: 'extract', attempt: 1, at: T0 + 10 });
    expect(later.tasks.get('run-1/extract')).toMatchObject({ state: 'running', queueDeadlineAt: null });
  });

  it('clears the deadline of a timed-out attempt and tells a worker that picks it up late to drop it', () => {
    const run = gpuRun();
    apply(new TickBatch(T0), run, { type: 'run_started', at: T0 });
    const batch = new TickBatch(T0 + 60_000);
    apply(batch, run, { type: 'queue_timed_out', taskId: 'extract', attempt: 1, at: T0 + 60_000 });
    expect(batch.tasks.get('run-1/extract')).toMatchObject({ state: 'failed', queueDeadlineAt: null });
    expect(batch.tasks.get('run-1/load')).toMatchObject({ state: 'upstream_failed' });
    expect(batch.cancels).toEqual([
      { runId: 'run-1', taskId: 'extract', attempt: 1, reason: 'the attempt waited past its queue_timeout' },
    ]);
  });
});
