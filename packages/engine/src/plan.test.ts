import { Code, TributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { createPlan } from './plan.js';
import { dagOf, diamondDag, task } from './testing/dags.js';

function thrown(run: () => unknown): TributaryError {
  try {
    run();
  } catch (error) {
    if (error instanceof TributaryError) return error;
    throw error;
  }
  throw new Error('expected a TributaryError');
}

describe('createPlan', () => {
  it('indexes upstream and downstream tasks both ways', () => {
    const plan = createPlan(diamondDag());
    expect(plan.upstream('d')).toEqual(['b', 'c']);
    expect(plan.downstream('a')).toEqual(['b', 'c']);
    expect(plan.downstream('d')).toEqual([]);
    expect(plan.roots).toEqual(['a']);
    expect(plan.task('c').needs).toEqual(['a']);
    expect(plan.has('c')).toBe(true);
    expect(plan.has('zz')).toBe(false);
  });

  it('orders tasks upstream first even when they are declared downstream first', () => {
    const plan = createPlan(
      dagOf(task('load', ['transform']), task('transform', ['extract']), task('extract')),
    );
    expect(plan.order).toEqual(['extract', 'transform', 'load']);
  });

  it('lists every task without needs as a root, in declaration order', () => {
    const plan = createPlan(dagOf(task('b'), task('c', ['b']), task('a')));
    expect(plan.roots).toEqual(['b', 'a']);
  });

  it('counts a repeated need once', () => {
    const plan = createPlan(dagOf(task('a'), task('b', ['a', 'a'])));
    expect(plan.upstream('b')).toEqual(['a']);
    expect(plan.downstream('a')).toEqual(['b']);
  });

  it('accepts an empty DAG', () => {
    const plan = createPlan(dagOf());
    expect(plan.order).toEqual([]);
    expect(plan.roots).toEqual([]);
  });

  it('rejects an unknown need, naming the task and the missing one', () => {
    const error = thrown(() => createPlan(dagOf(task('a'), task('b', ['nope']))));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).toContain("task 'b'");
    expect(error.message).toContain("unknown task 'nope'");
    expect(error.problems).toEqual([expect.objectContaining({ taskId: 'b', field: 'tasks.b.needs' })]);
  });

  it('rejects a duplicate task id, naming it', () => {
    const error = thrown(() => createPlan(dagOf(task('a'), task('a'))));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).toContain("duplicate task id 'a'");
  });

  it('reports every problem at once', () => {
    const error = thrown(() => createPlan(dagOf(task('a'), task('a'), task('b', ['x', 'y']))));
    expect(error.problems).toHaveLength(3);
  });

  it('rejects a cycle, naming the tasks on it in the order they would run', () => {
    const dag = dagOf(
      task('start'),
      task('a', ['start', 'c']),
      task('b', ['a']),
      task('c', ['b']),
      task('z', ['c']),
    );
    const error = thrown(() => createPlan(dag));
    expect(error.code).toBe(Code.InvalidArgument);
    // Walks upstream from the first task that cannot be ordered: a needs c, c needs b, b needs a.
    expect(error.message).toContain('dependency cycle: b -> c -> a -> b');
    expect(error.problems[0]).toMatchObject({ taskId: 'b', field: 'tasks.b.needs' });
  });

  it('rejects a task that needs itself', () => {
    const error = thrown(() => createPlan(dagOf(task('a', ['a']))));
    expect(error.message).toContain('dependency cycle: a -> a');
  });

  it('throws NotFound for a task id it does not have', () => {
    const plan = createPlan(diamondDag());
    expect(thrown(() => plan.task('zz')).code).toBe(Code.NotFound);
  });
});
