import { describe, expect, it } from 'vitest';
import { applyEvent } from './apply-event.js';
import { retryDelayMs } from './retry-delay.js';
import { dagOf, task } from './testing/dags.js';
import { BOOM, events, startRun, succeed } from './testing/events.js';
import type { PlanSensor, PlanTask } from './types.js';

const skipped = (taskId: string, attempt = 1, at = 20) =>
  ({ type: 'task_skipped', taskId, attempt, at }) as const;
const rescheduled = (taskId: string, attempt: number, at: number) =>
  ({ type: 'task_rescheduled', taskId, attempt, at }) as const;

describe('a task that skips itself', () => {
  it('ends skipped, skips its all_success downstream and lets the run succeed', () => {
    const { plan, run } = startRun(dagOf(task('a'), task('b', ['a']), task('c', ['b'])));
    const transition = applyEvent(plan, run, skipped('a'));
    expect(transition.changes.map((c) => [c.taskId, c.to])).toEqual([
      ['a', 'skipped'],
      ['b', 'skipped'],
      ['c', 'skipped'],
    ]);
    expect(run.state).toBe('succeeded');
  });

  it('ignores a skip for an attempt that is not current', () => {
    const { plan, run } = startRun(dagOf(task('a', [], { retries: 1 })));
    expect(applyEvent(plan, run, skipped('a', 2)).applied).toBe(false);
  });
});

describe('branching', () => {
  const branchDag = () =>
    dagOf(
      { ...task('choose'), branch: true },
      task('left', ['choose']),
      task('right', ['choose']),
      task('after_right', ['right']),
      { ...task('join', ['left', 'after_right']), triggerRule: 'none_failed_min_one_success' as const },
    );

  it('skips the direct downstream tasks not chosen, and the join runs', () => {
    const { plan, run } = startRun(branchDag());
    applyEvent(plan, run, events.succeeded('choose', 1, 'left'));
    expect(run.tasks.left?.state).toBe('queued');
    expect(run.tasks.right?.state).toBe('skipped');
    expect(run.tasks.after_right?.state).toBe('skipped');
    succeed(plan, run, 'left');
    expect(run.tasks.join?.state).toBe('queued');
    succeed(plan, run, 'join');
    expect(run.state).toBe('succeeded');
  });

  it('follows every id of a list, and none for an empty list', () => {
    const both = startRun(branchDag());
    applyEvent(both.plan, both.run, events.succeeded('choose', 1, ['left', 'right']));
    expect([both.run.tasks.left?.state, both.run.tasks.right?.state]).toEqual(['queued', 'queued']);
    const none = startRun(branchDag());
    applyEvent(none.plan, none.run, events.succeeded('choose', 1, []));
    expect(none.run.tasks.join?.state).toBe('skipped');
    expect(none.run.state).toBe('succeeded');
  });

  it('fails the branch task, without retries, when it names a task that is not a direct downstream one', () => {
    const { plan, run } = startRun(
      dagOf({ ...task('choose', [], { retries: 3 }), branch: true }, task('left', ['choose'])),
    );
    applyEvent(plan, run, events.succeeded('choose', 1, 'nowhere'));
    expect(run.tasks.choose?.state).toBe('failed');
    expect(run.tasks.choose?.error).toMatchObject({ type: 'InvalidBranch' });
    expect(run.tasks.choose?.error?.message).toContain("'nowhere'");
    expect(run.tasks.left?.state).toBe('upstream_failed');
  });

  it('fails the branch task when its output is not an id or a list of ids', () => {
    const { plan, run } = startRun(dagOf({ ...task('choose'), branch: true }, task('left', ['choose'])));
    applyEvent(plan, run, events.succeeded('choose', 1, { pick: 'left' }));
    expect(run.tasks.choose?.error?.message).toContain('must return a downstream task id');
  });
});

describe('retry delays', () => {
  const base: PlanTask = { id: 't', needs: [], retries: 5, retryDelayMs: 1000 };

  it('waits the same delay each time with fixed backoff', () => {
    expect([1, 2, 3].map((n) => retryDelayMs(base, n, 'seed'))).toEqual([1000, 1000, 1000]);
  });

  it('doubles the delay per try with exponential backoff, up to max_retry_delay', () => {
    const task = { ...base, retryBackoff: 'exponential' as const, maxRetryDelayMs: 5000 };
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(task, n, 'seed'))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it('caps exponential growth at 24 hours without max_retry_delay, even after many tries', () => {
    const task = { ...base, retryBackoff: 'exponential' as const };
    expect(retryDelayMs(task, 500, 'seed')).toBe(24 * 3_600_000);
  });

  it('spreads jittered delays over the upper half, the same for the same run, task and try', () => {
    const task = { ...base, retryDelayMs: 10_000, retryJitter: true };
    const delays = Array.from({ length: 50 }, (_, i) => retryDelayMs(task, 1, `run-${i}`));
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(5000);
    for (const delay of delays) expect(delay).toBeLessThanOrEqual(10_000);
    expect(new Set(delays).size).toBeGreaterThan(10);
    expect(retryDelayMs(task, 1, 'run-1')).toBe(retryDelayMs(task, 1, 'run-1'));
  });

  it('stores the exponential delay as the durable retry time', () => {
    const { plan, run } = startRun(
      dagOf({ ...task('a', [], { retries: 3, retryDelayMs: 100 }), retryBackoff: 'exponential' }),
    );
    const first = applyEvent(plan, run, events.failed('a', 1, 'error', 1000));
    expect(first.commands).toEqual([{ type: 'schedule_retry', taskId: 'a', attempt: 2, at: 1100 }]);
    applyEvent(plan, run, events.retryDue('a', 2, 1100));
    applyEvent(plan, run, events.failed('a', 2, 'error', 2000));
    expect(run.tasks.a?.retryAt).toBe(2200);
  });
});

describe('reschedule-mode sensors', () => {
  const sensor: PlanSensor = { mode: 'reschedule', intervalMs: 1000, timeoutMs: 5000, softFail: false };

  it('frees the task between pokes, pokes again after the interval, and does not use up retries', () => {
    const { plan, run } = startRun(dagOf({ ...task('wait'), sensor }, task('next', ['wait'])));
    const poke = applyEvent(plan, run, rescheduled('wait', 1, 100));
    expect(run.tasks.wait).toMatchObject({ state: 'up_for_reschedule', retryAt: 1100, reschedules: 1 });
    expect(poke.commands).toEqual([{ type: 'schedule_retry', taskId: 'wait', attempt: 2, at: 1100 }]);
    applyEvent(plan, run, events.retryDue('wait', 2, 1100));
    expect(run.tasks.wait?.state).toBe('queued');
    applyEvent(plan, run, events.succeeded('wait', 2, true));
    expect(run.tasks.next?.state).toBe('queued');
  });

  it('still retries a failed poke as a try of its own', () => {
    const { plan, run } = startRun(dagOf({ ...task('wait', [], { retries: 1, retryDelayMs: 10 }), sensor }));
    applyEvent(plan, run, rescheduled('wait', 1, 100));
    applyEvent(plan, run, events.retryDue('wait', 2, 1100));
    applyEvent(plan, run, events.failed('wait', 2, 'error', 1200));
    expect(run.tasks.wait?.state).toBe('up_for_retry');
  });

  it('fails without retries once its timeout has passed since the first poke', () => {
    const { plan, run } = startRun(dagOf({ ...task('wait', [], { retries: 3 }), sensor }));
    let attempt = 1;
    for (let at = 100; at < 5000; at += 1000) {
      applyEvent(plan, run, rescheduled('wait', attempt, at));
      attempt++;
      applyEvent(plan, run, events.retryDue('wait', attempt, at + 1000));
    }
    applyEvent(plan, run, rescheduled('wait', attempt, 5100));
    expect(run.tasks.wait?.state).toBe('failed');
    expect(run.tasks.wait?.error).toMatchObject({ type: 'SensorTimeout' });
  });

  it('ends skipped on timeout with soft_fail', () => {
    const soft = { ...sensor, timeoutMs: 500, softFail: true };
    const { plan, run } = startRun(dagOf({ ...task('wait'), sensor: soft }, task('next', ['wait'])));
    applyEvent(plan, run, rescheduled('wait', 1, 600));
    expect(run.tasks.wait?.state).toBe('skipped');
    expect(run.tasks.next?.state).toBe('skipped');
    expect(run.state).toBe('succeeded');
  });

  it('does not retry a poke-mode sensor timeout reported by the worker', () => {
    const { plan, run } = startRun(
      dagOf({ ...task('wait', [], { retries: 2 }), sensor: { ...sensor, mode: 'poke' } }),
    );
    const error = { ...BOOM, type: 'SensorTimeout', retryable: false };
    applyEvent(plan, run, {
      type: 'task_failed',
      taskId: 'wait',
      attempt: 1,
      reason: 'error',
      error,
      at: 50,
    });
    expect(run.tasks.wait?.state).toBe('failed');
  });
});

describe('dagrun_timeout', () => {
  it('schedules the deadline at start, then cancels unfinished tasks and fails the run', () => {
    const dag = { ...dagOf(task('a'), task('b', ['a'])), dagrunTimeoutMs: 1000 };
    const { plan, run, started } = startRun(dag);
    expect(started.commands).toContainEqual({ type: 'schedule_run_timeout', at: 1000 });
    applyEvent(plan, run, events.started('a'));
    expect(applyEvent(plan, run, { type: 'run_timed_out', at: 999 }).applied).toBe(false);
    const timedOut = applyEvent(plan, run, { type: 'run_timed_out', at: 1000 });
    expect(timedOut.commands).toContainEqual({ type: 'cancel_attempt', taskId: 'a', attempt: 1 });
    expect(timedOut.commands).toContainEqual({ type: 'finish_run', state: 'failed' });
    expect(run.tasks.b).toMatchObject({ state: 'cancelled', error: { type: 'DagRunTimeout' } });
    expect(run.state).toBe('failed');
  });

  it('is ignored once the run has finished', () => {
    const { plan, run } = startRun({ ...dagOf(task('a')), dagrunTimeoutMs: 1000 });
    succeed(plan, run, 'a');
    expect(applyEvent(plan, run, { type: 'run_timed_out', at: 2000 }).applied).toBe(false);
    expect(run.state).toBe('succeeded');
  });
});

describe('the always rule', () => {
  it('dispatches the task when the run starts, without waiting for its upstream tasks', () => {
    const { started } = startRun(dagOf(task('a'), { ...task('b', ['a']), triggerRule: 'always' }));
    expect(started.commands.filter((c) => c.type === 'dispatch').map((c) => c.taskId)).toEqual(['a', 'b']);
  });
});

describe('maxActiveTasks', () => {
  const fanOut = (n: number, maxActiveTasks: number) => ({
    ...dagOf(task('root'), ...Array.from({ length: n }, (_, i) => task(`t${i}`, ['root'], { retries: 1 }))),
    maxActiveTasks,
  });
  const out = (run: { tasks: Record<string, { state: string }> }) =>
    Object.values(run.tasks).filter((t) => t.state === 'queued' || t.state === 'running').length;

  it('never has more tasks out than the limit, and runs every task in the end', () => {
    const { plan, run } = startRun(fanOut(10, 3));
    succeed(plan, run, 'root');
    expect(out(run)).toBe(3);
    for (let i = 0; i < 10; i++) {
      expect(out(run)).toBeLessThanOrEqual(3);
      succeed(plan, run, `t${i}`);
    }
    expect(run.state).toBe('succeeded');
  });

  it('holds a due retry until a slot is free, once however often its timer repeats', () => {
    const { plan, run } = startRun(fanOut(2, 1));
    succeed(plan, run, 'root');
    applyEvent(plan, run, events.failed('t0', 1, 'error', 100));
    expect(run.tasks.t1?.state).toBe('queued');
    applyEvent(plan, run, events.retryDue('t0', 2, 2000));
    applyEvent(plan, run, events.retryDue('t0', 2, 2500));
    expect(run.tasks.t0?.state).toBe('up_for_retry');
    const freed = succeed(plan, run, 't1');
    expect(freed.commands.filter((c) => c.type === 'dispatch')).toEqual([
      { type: 'dispatch', taskId: 't0', attempt: 2 },
    ]);
  });

  it('finds held tasks again in a snapshot reloaded without its counters', async () => {
    const { createPlan } = await import('./plan.js');
    const { plan, run } = startRun(fanOut(4, 2));
    succeed(plan, run, 'root');
    const reloaded = structuredClone(run);
    const freshPlan = createPlan(fanOut(4, 2));
    const transition = applyEvent(freshPlan, reloaded, events.succeeded('t0', 1));
    expect(transition.commands).toContainEqual({ type: 'dispatch', taskId: 't2', attempt: 1 });
  });
});

describe('a queued run', () => {
  it('takes a cancel, ending every task, and nothing else', async () => {
    const { createPlan } = await import('./plan.js');
    const { createRunSnapshot } = await import('./snapshot.js');
    const plan = createPlan(dagOf(task('a'), task('b', ['a'])));
    const run = { ...createRunSnapshot(plan), state: 'queued' as const };
    expect(applyEvent(plan, run, events.succeeded('a')).applied).toBe(false);
    const cancelled = applyEvent(plan, run, events.cancelled());
    expect(cancelled.commands).toEqual([{ type: 'finish_run', state: 'cancelled' }]);
    expect(run.state).toBe('cancelled');
    expect([run.tasks.a?.state, run.tasks.b?.state]).toEqual(['cancelled', 'cancelled']);
  });
});
