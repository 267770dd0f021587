import { describe, expect, it } from 'vitest';
import { applyEvent, applyEvents } from './apply-event.js';
import { chainDag, dagOf, diamondDag, task } from './testing/dags.js';
import { events, startRun, succeed } from './testing/events.js';
import type { Command } from './types.js';

const finishes = (commands: readonly Command[]) => commands.filter((c) => c.type === 'finish_run');

describe('applyEvent finishing the run', () => {
  it('finishes a run exactly once, with the event that ended its last task', () => {
    const { plan, run, started } = startRun(diamondDag());
    const all = [started, succeed(plan, run, 'a'), succeed(plan, run, 'b'), succeed(plan, run, 'c')];
    expect(all.flatMap((t) => finishes(t.commands))).toEqual([]);
    applyEvent(plan, run, events.started('d'));
    const last = applyEvent(plan, run, events.succeeded('d', 1, null, 500));
    expect(finishes(last.commands)).toEqual([{ type: 'finish_run', state: 'succeeded' }]);
    expect(run).toMatchObject({ state: 'succeeded', finishedAt: 500 });
    const after = [events.succeeded('d'), events.failed('d'), events.started('d'), events.runStarted()];
    for (const event of after) expect(applyEvent(plan, run, event).applied).toBe(false);
    expect(run).toMatchObject({ state: 'succeeded', finishedAt: 500 });
  });

  it('fails the run when a leaf task failed, even though other leaves succeeded', () => {
    const { plan, run } = startRun(dagOf(task('a'), task('b')));
    succeed(plan, run, 'a');
    expect(applyEvent(plan, run, events.failed('b')).commands).toEqual([
      { type: 'finish_run', state: 'failed' },
    ]);
  });

  it('fails the run when a leaf task is upstream_failed', () => {
    const { plan, run } = startRun(dagOf(task('a'), task('b', ['a']), task('c')));
    succeed(plan, run, 'c');
    applyEvent(plan, run, events.failed('a'));
    expect(run.state).toBe('failed');
  });

  it('does not finish while a retry is outstanding', () => {
    const { plan, run } = startRun(dagOf(task('a', [], { retries: 1 })));
    expect(finishes(applyEvent(plan, run, events.failed('a')).commands)).toEqual([]);
    expect(run.state).toBe('running');
    applyEvent(plan, run, events.retryDue('a', 2));
    expect(finishes(succeed(plan, run, 'a', 2).commands)).toEqual([
      { type: 'finish_run', state: 'succeeded' },
    ]);
  });
});

describe('applyEvents', () => {
  it('concatenates the transitions of a batch in order', () => {
    const { plan, run } = startRun(chainDag(2));
    const batch = applyEvents(plan, run, [
      events.started('t0'),
      events.started('t0'),
      events.succeeded('t0'),
      events.succeeded('t1'),
    ]);
    expect(batch.applied).toBe(true);
    expect(batch.changes.map((c) => `${c.taskId}:${c.to}`)).toEqual([
      't0:running',
      't0:succeeded',
      't1:queued',
      't1:succeeded',
    ]);
    expect(batch.commands).toEqual([
      { type: 'dispatch', taskId: 't1', attempt: 1 },
      { type: 'finish_run', state: 'succeeded' },
    ]);
  });

  it('reports not applied when no event of the batch applied', () => {
    const { plan, run } = startRun(chainDag(2));
    expect(applyEvents(plan, run, [events.started('t1'), events.runStarted()])).toEqual({
      applied: false,
      commands: [],
      changes: [],
    });
    expect(applyEvents(plan, run, [])).toEqual({ applied: false, commands: [], changes: [] });
  });
});
