import { Code, TributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { applyEvent } from './apply-event.js';
import { createPlan } from './plan.js';
import { rebuildIndexes } from './run-index.js';
import { createRunSnapshot } from './snapshot.js';
import { dagOf, diamondDag, task } from './testing/dags.js';
import { events, startRun, succeed } from './testing/events.js';
import type { RunSnapshot } from './types.js';

describe('run indexes', () => {
  it('let a snapshot read back from JSON continue where the original left off', () => {
    const { plan, run } = startRun(diamondDag());
    succeed(plan, run, 'a');
    succeed(plan, run, 'b');
    const loaded = JSON.parse(JSON.stringify(run)) as RunSnapshot;
    const expected = succeed(plan, run, 'c');
    expect(succeed(plan, loaded, 'c')).toEqual(expected);
    expect(loaded).toEqual(run);
  });

  it('let a snapshot built from bare rows finish the run', () => {
    const plan = createPlan(dagOf(task('a'), task('b'), task('c', ['a', 'b'])));
    // What a coordinator reads back: states and attempts only, no engine bookkeeping.
    const rows: RunSnapshot = {
      state: 'running',
      tasks: {
        a: { state: 'succeeded', attempt: 1, output: 1 },
        b: { state: 'running', attempt: 2 },
        c: { state: 'pending', attempt: 0 },
      },
    };
    expect(applyEvent(plan, rows, events.succeeded('b', 2)).commands).toEqual([
      { type: 'dispatch', taskId: 'c', attempt: 1 },
    ]);
    expect(applyEvent(plan, rows, events.succeeded('c', 1)).commands).toEqual([
      { type: 'finish_run', state: 'succeeded' },
    ]);
  });

  it('are rebuilt when the snapshot task table is replaced', () => {
    const { plan, run } = startRun(dagOf(task('a'), task('b', ['a'])));
    run.tasks = { a: { state: 'succeeded', attempt: 1 }, b: { state: 'queued', attempt: 1 } };
    expect(applyEvent(plan, run, events.succeeded('b')).commands).toEqual([
      { type: 'finish_run', state: 'succeeded' },
    ]);
  });

  it('are rebuilt on request after task entries changed in place', () => {
    const { plan, run } = startRun(dagOf(task('a'), task('b', ['a'])));
    run.tasks.a = { state: 'succeeded', attempt: 1 };
    run.tasks.b = { state: 'queued', attempt: 1 };
    rebuildIndexes(plan, run);
    expect(applyEvent(plan, run, events.succeeded('b')).commands).toEqual([
      { type: 'finish_run', state: 'succeeded' },
    ]);
  });

  it('reject a snapshot that lacks a task of the plan, naming it', () => {
    const plan = createPlan(diamondDag());
    const run = createRunSnapshot(plan);
    delete run.tasks.c;
    let error: unknown;
    try {
      applyEvent(plan, run, events.runStarted());
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe(Code.InvalidArgument);
    expect((error as TributaryError).message).toContain("task 'c'");
  });
});

describe('createRunSnapshot', () => {
  it('starts every task pending with attempt 0 and the run running', () => {
    const plan = createPlan(dagOf(task('a'), task('b', ['a'])));
    expect(createRunSnapshot(plan)).toEqual({
      state: 'running',
      tasks: { a: { state: 'pending', attempt: 0 }, b: { state: 'pending', attempt: 0 } },
    });
  });

  it('gives a task named like an Object.prototype member an entry of its own', () => {
    const plan = createPlan(dagOf(task('__proto__'), task('constructor', ['__proto__'])));
    const run = createRunSnapshot(plan);
    expect(Object.keys(run.tasks)).toEqual(['__proto__', 'constructor']);
    applyEvent(plan, run, events.runStarted());
    succeed(plan, run, '__proto__');
    expect(run.tasks.constructor).toEqual({ state: 'queued', attempt: 1 });
  });
});
