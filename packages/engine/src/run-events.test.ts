import { describe, expect, it } from 'vitest';
import { applyEvent } from './apply-event.js';
import { createPlan } from './plan.js';
import { createRunSnapshot } from './snapshot.js';
import { chainDag, dagOf, diamondDag, fanOutDag, task } from './testing/dags.js';
import { events, startRun, succeed } from './testing/events.js';

describe('run_started', () => {
  it('dispatches attempt 1 of every root task and nothing else', () => {
    const { run, started } = startRun(dagOf(task('a'), task('b'), task('c', ['a', 'b'])));
    expect(started.applied).toBe(true);
    expect(started.commands).toEqual([
      { type: 'dispatch', taskId: 'a', attempt: 1 },
      { type: 'dispatch', taskId: 'b', attempt: 1 },
    ]);
    expect(started.changes).toEqual([
      { taskId: 'a', from: 'pending', to: 'queued', attempt: 1 },
      { taskId: 'b', from: 'pending', to: 'queued', attempt: 1 },
    ]);
    expect(run.tasks.c).toEqual({ state: 'pending', attempt: 0 });
  });

  it('dispatches every task of a DAG without dependencies', () => {
    const { started } = startRun(dagOf(task('x'), task('y'), task('z')));
    expect(started.commands.map((c) => c.type === 'dispatch' && c.taskId)).toEqual(['x', 'y', 'z']);
  });

  it('finishes an empty DAG at once as succeeded', () => {
    const plan = createPlan(dagOf());
    const run = createRunSnapshot(plan);
    const started = applyEvent(plan, run, events.runStarted(42));
    expect(started).toEqual({
      applied: true,
      changes: [],
      commands: [{ type: 'finish_run', state: 'succeeded' }],
    });
    expect(run).toEqual({ state: 'succeeded', tasks: {}, finishedAt: 42 });
  });

  it('ignores a second run_started', () => {
    const { plan, run } = startRun(chainDag(2));
    const before = structuredClone(run);
    expect(applyEvent(plan, run, events.runStarted(5))).toEqual({
      applied: false,
      commands: [],
      changes: [],
    });
    expect(run).toEqual(before);
  });

  it('ignores a second run_started after the roots have finished', () => {
    const { plan, run } = startRun(chainDag(2));
    succeed(plan, run, 't0');
    expect(applyEvent(plan, run, events.runStarted(5)).applied).toBe(false);
    expect(run.tasks.t1).toEqual({ state: 'queued', attempt: 1 });
  });
});

describe('run_cancelled', () => {
  it('cancels every task that is not terminal and stops each dispatched attempt', () => {
    const { plan, run } = startRun(dagOf(task('a'), task('b'), task('c'), task('d', ['a', 'b', 'c'])));
    succeed(plan, run, 'a');
    applyEvent(plan, run, events.started('b'));
    const cancelled = applyEvent(plan, run, events.cancelled(99));
    expect(cancelled.applied).toBe(true);
    expect(cancelled.commands).toEqual([
      { type: 'cancel_attempt', taskId: 'b', attempt: 1 },
      { type: 'cancel_attempt', taskId: 'c', attempt: 1 },
      { type: 'finish_run', state: 'cancelled' },
    ]);
    expect(cancelled.changes).toEqual([
      { taskId: 'b', from: 'running', to: 'cancelled', attempt: 1 },
      { taskId: 'c', from: 'queued', to: 'cancelled', attempt: 1 },
      { taskId: 'd', from: 'pending', to: 'cancelled', attempt: 0 },
    ]);
    expect(run.tasks.a?.state).toBe('succeeded');
    expect(run.state).toBe('cancelled');
    expect(run.finishedAt).toBe(99);
  });

  it('cancels a task waiting for its retry without a cancel_attempt, and drops its retry time', () => {
    const { plan, run } = startRun(dagOf(task('a', [], { retries: 1 })));
    applyEvent(plan, run, events.failed('a'));
    const cancelled = applyEvent(plan, run, events.cancelled());
    expect(cancelled.commands).toEqual([{ type: 'finish_run', state: 'cancelled' }]);
    expect(run.tasks.a).toEqual({ state: 'cancelled', attempt: 1, error: expect.anything() });
    expect(applyEvent(plan, run, events.retryDue('a', 2)).applied).toBe(false);
  });

  it('cancels a run that has not started yet', () => {
    const plan = createPlan(diamondDag());
    const run = createRunSnapshot(plan);
    const cancelled = applyEvent(plan, run, events.cancelled());
    expect(cancelled.changes).toHaveLength(4);
    expect(cancelled.commands).toEqual([{ type: 'finish_run', state: 'cancelled' }]);
    expect(applyEvent(plan, run, events.runStarted()).applied).toBe(false);
  });

  it('is ignored once the run has finished', () => {
    const { plan, run } = startRun(fanOutDag(1));
    succeed(plan, run, 'root');
    succeed(plan, run, 't0');
    succeed(plan, run, 'join');
    expect(run.state).toBe('succeeded');
    expect(applyEvent(plan, run, events.cancelled())).toEqual({ applied: false, commands: [], changes: [] });
    expect(run.state).toBe('succeeded');
  });

  it('ignores every result that arrives after it', () => {
    const { plan, run } = startRun(chainDag(2));
    applyEvent(plan, run, events.started('t0'));
    applyEvent(plan, run, events.cancelled());
    expect(applyEvent(plan, run, events.succeeded('t0')).applied).toBe(false);
    expect(applyEvent(plan, run, events.failed('t0')).applied).toBe(false);
    expect(run.tasks.t0?.state).toBe('cancelled');
    expect(run.tasks.t1?.state).toBe('cancelled');
  });
});
