import { describe, expect, it } from 'vitest';
import { applyEvent } from './apply-event.js';
import { chainDag, dagOf, diamondDag, fanOutDag, task } from './testing/dags.js';
import { BOOM, events, startRun, succeed } from './testing/events.js';

const NOTHING = { applied: false, commands: [], changes: [] };

describe('task_started', () => {
  it('moves the current attempt of a queued task to running', () => {
    const { plan, run } = startRun(chainDag(2));
    const started = applyEvent(plan, run, events.started('t0'));
    expect(started).toEqual({
      applied: true,
      commands: [],
      changes: [{ taskId: 't0', from: 'queued', to: 'running', attempt: 1 }],
    });
  });

  it('is ignored for another attempt, a running task or a pending one', () => {
    const { plan, run } = startRun(chainDag(2));
    expect(applyEvent(plan, run, events.started('t0', 2))).toEqual(NOTHING);
    expect(applyEvent(plan, run, events.started('t1', 0))).toEqual(NOTHING);
    applyEvent(plan, run, events.started('t0'));
    expect(applyEvent(plan, run, events.started('t0'))).toEqual(NOTHING);
    expect(run.tasks.t0?.state).toBe('running');
  });
});

describe('task_succeeded', () => {
  it('keeps the output and dispatches a downstream task whose upstream tasks all succeeded', () => {
    const { plan, run } = startRun(chainDag(2));
    applyEvent(plan, run, events.started('t0'));
    const done = applyEvent(plan, run, events.succeeded('t0', 1, { rows: 3 }));
    expect(done.changes).toEqual([
      { taskId: 't0', from: 'running', to: 'succeeded', attempt: 1 },
      { taskId: 't1', from: 'pending', to: 'queued', attempt: 1 },
    ]);
    expect(done.commands).toEqual([{ type: 'dispatch', taskId: 't1', attempt: 1 }]);
    expect(run.tasks.t0).toEqual({ state: 'succeeded', attempt: 1, output: { rows: 3 } });
  });

  it('applies without a task_started before it', () => {
    const { plan, run } = startRun(chainDag(2));
    const done = applyEvent(plan, run, events.succeeded('t0'));
    expect(done.changes[0]).toEqual({ taskId: 't0', from: 'queued', to: 'succeeded', attempt: 1 });
    expect(run.tasks.t1?.state).toBe('queued');
  });

  it('waits for every upstream task of a join before dispatching it', () => {
    const { plan, run } = startRun(diamondDag());
    succeed(plan, run, 'a');
    expect(succeed(plan, run, 'b').commands).toEqual([]);
    expect(run.tasks.d?.state).toBe('pending');
    expect(succeed(plan, run, 'c').commands).toEqual([{ type: 'dispatch', taskId: 'd', attempt: 1 }]);
  });

  it('releases every branch of a fan-out at once', () => {
    const { plan, run } = startRun(fanOutDag(3));
    const done = succeed(plan, run, 'root');
    expect(done.commands.map((c) => c.type === 'dispatch' && c.taskId)).toEqual(['t0', 't1', 't2']);
  });

  it('is recorded once: a duplicate success is ignored', () => {
    const { plan, run } = startRun(chainDag(2));
    succeed(plan, run, 't0');
    expect(applyEvent(plan, run, events.succeeded('t0', 1, 'late'))).toEqual(NOTHING);
    expect(applyEvent(plan, run, events.failed('t0'))).toEqual(NOTHING);
    expect(run.tasks.t0?.output).toEqual({ taskId: 't0' });
  });

  it('ignores a task id the DAG does not have', () => {
    const { plan, run } = startRun(chainDag(1));
    expect(applyEvent(plan, run, events.succeeded('ghost'))).toEqual(NOTHING);
    expect(applyEvent(plan, run, events.succeeded('constructor'))).toEqual(NOTHING);
  });
});

describe('task_failed with retries left', () => {
  it('waits for the retry delay and schedules the next attempt', () => {
    const { plan, run } = startRun(dagOf(task('a', [], { retries: 2, retryDelayMs: 500 })));
    applyEvent(plan, run, events.started('a'));
    const failed = applyEvent(plan, run, events.failed('a', 1, 'error', 1000));
    expect(failed.changes).toEqual([{ taskId: 'a', from: 'running', to: 'up_for_retry', attempt: 1 }]);
    expect(failed.commands).toEqual([{ type: 'schedule_retry', taskId: 'a', attempt: 2, at: 1500 }]);
    expect(run.tasks.a).toEqual({ state: 'up_for_retry', attempt: 1, retryAt: 1500, error: BOOM });
  });

  it('dispatches the scheduled attempt when its retry is due, once', () => {
    const { plan, run } = startRun(dagOf(task('a', [], { retries: 1 })));
    applyEvent(plan, run, events.failed('a'));
    const due = applyEvent(plan, run, events.retryDue('a', 2));
    expect(due.changes).toEqual([{ taskId: 'a', from: 'up_for_retry', to: 'queued', attempt: 2 }]);
    expect(due.commands).toEqual([{ type: 'dispatch', taskId: 'a', attempt: 2 }]);
    expect(run.tasks.a?.retryAt).toBeUndefined();
    expect(applyEvent(plan, run, events.retryDue('a', 2))).toEqual(NOTHING);
  });

  it('ignores a retry_due for any attempt but the next one', () => {
    const { plan, run } = startRun(dagOf(task('a', [], { retries: 3 })));
    expect(applyEvent(plan, run, events.retryDue('a', 2))).toEqual(NOTHING);
    applyEvent(plan, run, events.failed('a'));
    expect(applyEvent(plan, run, events.retryDue('a', 1))).toEqual(NOTHING);
    expect(applyEvent(plan, run, events.retryDue('a', 3))).toEqual(NOTHING);
    expect(run.tasks.a?.state).toBe('up_for_retry');
  });

  it('counts a timeout and a lost worker as used attempts', () => {
    const { plan, run } = startRun(dagOf(task('a', [], { retries: 2 })));
    applyEvent(plan, run, events.failed('a', 1, 'timed_out'));
    applyEvent(plan, run, events.retryDue('a', 2));
    applyEvent(plan, run, events.failed('a', 2, 'lost'));
    applyEvent(plan, run, events.retryDue('a', 3));
    const last = applyEvent(plan, run, events.failed('a', 3, 'error'));
    expect(last.changes[0]).toEqual({ taskId: 'a', from: 'queued', to: 'failed', attempt: 3 });
    expect(run.state).toBe('failed');
  });

  it('takes a stale result only with fencing switched off (the fault suite negative control)', () => {
    const lostThenLate = (unsafeDisableFencing: boolean) => {
      const { plan, run } = startRun(dagOf(task('a', [], { retries: 1 })));
      applyEvent(plan, run, events.started('a'));
      applyEvent(plan, run, events.failed('a', 1, 'lost'));
      return applyEvent(plan, run, events.succeeded('a', 1), { unsafeDisableFencing }).applied;
    };
    expect(lostThenLate(false)).toBe(false);
    expect(lostThenLate(true)).toBe(true);
  });

  it('succeeds on a later attempt and then releases the downstream tasks', () => {
    const { plan, run } = startRun(dagOf(task('a', [], { retries: 1 }), task('b', ['a'])));
    applyEvent(plan, run, events.failed('a'));
    applyEvent(plan, run, events.retryDue('a', 2));
    const done = succeed(plan, run, 'a', 2);
    expect(done.commands).toEqual([{ type: 'dispatch', taskId: 'b', attempt: 1 }]);
    expect(run.tasks.a).toMatchObject({ state: 'succeeded', attempt: 2 });
  });

  it('fences off a late result of the older attempt once the retry was dispatched', () => {
    const { plan, run } = startRun(dagOf(task('a', [], { retries: 1 }), task('b', ['a'])));
    applyEvent(plan, run, events.started('a'));
    const lost = applyEvent(plan, run, events.failed('a', 1, 'lost'));
    // The worker may only be paused: it is told to abandon the attempt taken away from it.
    expect(lost.commands[0]).toEqual({ type: 'cancel_attempt', taskId: 'a', attempt: 1 });
    expect(applyEvent(plan, run, events.succeeded('a', 1))).toEqual(NOTHING);
    applyEvent(plan, run, events.retryDue('a', 2));
    expect(applyEvent(plan, run, events.succeeded('a', 1))).toEqual(NOTHING);
    expect(applyEvent(plan, run, events.started('a', 1))).toEqual(NOTHING);
    expect(run.tasks.a).toMatchObject({ state: 'queued', attempt: 2 });
    expect(applyEvent(plan, run, events.failed('a', 2)).applied).toBe(true);
    expect(applyEvent(plan, run, events.succeeded('a', 2))).toEqual(NOTHING);
    expect(run.tasks.a?.state).toBe('failed');
  });
});

describe('task_failed with no retries left', () => {
  it('fails the task, keeps its error and fails every task that can no longer run, level by level', () => {
    const { plan, run } = startRun(chainDag(4));
    applyEvent(plan, run, events.started('t0'));
    const failed = applyEvent(plan, run, events.failed('t0', 1, 'error', 77));
    expect(failed.changes).toEqual([
      { taskId: 't0', from: 'running', to: 'failed', attempt: 1 },
      { taskId: 't1', from: 'pending', to: 'upstream_failed', attempt: 0 },
      { taskId: 't2', from: 'pending', to: 'upstream_failed', attempt: 0 },
      { taskId: 't3', from: 'pending', to: 'upstream_failed', attempt: 0 },
    ]);
    expect(failed.commands).toEqual([{ type: 'finish_run', state: 'failed' }]);
    expect(run.tasks.t0).toEqual({ state: 'failed', attempt: 1, error: BOOM });
    expect(run).toMatchObject({ state: 'failed', finishedAt: 77 });
  });

  it('fails a join at once even while its other upstream task still runs', () => {
    const { plan, run } = startRun(diamondDag());
    succeed(plan, run, 'a');
    const failed = applyEvent(plan, run, events.failed('b'));
    expect(failed.changes.map((c) => [c.taskId, c.to])).toEqual([
      ['b', 'failed'],
      ['d', 'upstream_failed'],
    ]);
    expect(failed.commands).toEqual([]);
    expect(run.state).toBe('running');
    const last = succeed(plan, run, 'c');
    expect(last.commands).toEqual([{ type: 'finish_run', state: 'failed' }]);
  });

  it('leaves independent branches running', () => {
    const { plan, run } = startRun(dagOf(task('a'), task('b', ['a']), task('x'), task('y', ['x'])));
    applyEvent(plan, run, events.failed('a'));
    expect(succeed(plan, run, 'x').commands).toEqual([{ type: 'dispatch', taskId: 'y', attempt: 1 }]);
    expect(run.tasks.b?.state).toBe('upstream_failed');
  });
});
