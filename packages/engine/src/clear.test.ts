import { Code, TributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { applyEvent } from './apply-event.js';
import { selectTasksToClear } from './clear.js';
import { chainDag, dagOf, task } from './testing/dags.js';
import { events, startRun, succeed } from './testing/events.js';

const clear = (taskIds: string[], at = 5000) => ({ type: 'tasks_cleared', taskIds, at }) as const;

describe('clearing tasks', () => {
  it('re-runs a failed task and its downstream tasks in a finished run, keeping attempt numbers', () => {
    const { plan, run } = startRun(chainDag(3));
    succeed(plan, run, 't0');
    applyEvent(plan, run, events.failed('t1', 1));
    expect(run.state).toBe('failed');
    const ids = selectTasksToClear(plan, run, { taskIds: ['t1'], downstream: true });
    expect(ids).toEqual(['t1', 't2']);

    const transition = applyEvent(plan, run, clear(ids));
    expect(transition.applied).toBe(true);
    expect(run.state).toBe('running');
    expect(run.finishedAt).toBeUndefined();
    expect(transition.commands).toContainEqual({ type: 'reopen_run' });
    expect(transition.commands).toContainEqual({ type: 'dispatch', taskId: 't1', attempt: 2 });
    expect(run.tasks.t2).toMatchObject({ state: 'pending' });
    expect(run.tasks.t1?.error).toBeUndefined();

    succeed(plan, run, 't1', 2);
    succeed(plan, run, 't2');
    expect(run.state).toBe('succeeded');
  });

  it('gives a cleared task its retries afresh', () => {
    const { plan, run } = startRun(dagOf(task('a', [], { retries: 1, retryDelayMs: 10 })));
    applyEvent(plan, run, events.failed('a', 1));
    applyEvent(plan, run, events.retryDue('a', 2));
    applyEvent(plan, run, events.failed('a', 2));
    expect(run.tasks.a?.state).toBe('failed');
    applyEvent(plan, run, clear(['a']));
    applyEvent(plan, run, events.failed('a', 3));
    expect(run.tasks.a?.state).toBe('up_for_retry');
  });

  it('clears only failures with failedOnly, and leaves pending tasks out', () => {
    const { plan, run } = startRun(dagOf(task('a'), task('b'), task('c', ['a', 'b'])));
    succeed(plan, run, 'a');
    applyEvent(plan, run, events.failed('b', 1));
    expect(run.tasks.c?.state).toBe('upstream_failed');
    expect(selectTasksToClear(plan, run, { taskIds: ['a', 'b', 'c'], failedOnly: true })).toEqual(['b', 'c']);
  });

  it('refuses unknown tasks and tasks that are still out, naming them', () => {
    const { plan, run } = startRun(dagOf(task('a'), task('b')));
    expect(() => selectTasksToClear(plan, run, { taskIds: ['zzz'] })).toThrow(/unknown task 'zzz'/);
    try {
      selectTasksToClear(plan, run, { taskIds: ['a'] });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TributaryError);
      expect((error as TributaryError).code).toBe(Code.FailedPrecondition);
      expect((error as TributaryError).message).toContain("'a' (queued)");
    }
  });

  it('resumes a cancelled run from its cancelled tasks', () => {
    const { plan, run } = startRun(chainDag(2));
    applyEvent(plan, run, events.cancelled());
    expect(run.state).toBe('cancelled');
    const ids = selectTasksToClear(plan, run, { taskIds: ['t0'], downstream: true });
    applyEvent(plan, run, clear(ids));
    expect(run.tasks.t0?.state).toBe('queued');
    succeed(plan, run, 't0', 2);
    succeed(plan, run, 't1', 1);
    expect(run.state).toBe('succeeded');
  });
});
