import { type JsonValue, TRIGGER_RULES, type TriggerRule } from '@tributary/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEvent } from './apply-event.js';
import { selectTasksToClear } from './clear.js';
import { mapItemOf, outputOf } from './map.js';
import { createPlan } from './plan.js';
import { createRunSnapshot } from './snapshot.js';
import { dagOf, task } from './testing/dags.js';
import { events, startRun } from './testing/events.js';
import type { Command, PlanDag, RunSnapshot, TaskSlots } from './types.js';

/** `list -> each (mapped over list's files) -> sum`, with `sum` under `rule`. */
function mapDag(options: { rule?: TriggerRule; retries?: number; perRun?: number } = {}): PlanDag {
  return {
    ...dagOf(
      task('list'),
      {
        ...task('each', ['list'], { retries: options.retries ?? 0 }),
        map: { upstream: 'list', path: ['files'] },
      },
      { ...task('sum', ['each']), triggerRule: options.rule ?? 'all_success' },
    ),
    maxActiveTasksPerRun: options.perRun ?? null,
  };
}

const dispatched = (commands: readonly Command[]) =>
  commands.flatMap((c) => (c.type === 'dispatch' ? [`${c.taskId}#${c.attempt}`] : []));

function listed(files: JsonValue, dag = mapDag()) {
  const started = startRun(dag);
  const listedTransition = applyEvent(started.plan, started.run, events.succeeded('list', 1, { files }));
  return { ...started, listed: listedTransition };
}

const stateOf = (run: RunSnapshot, id: string) => run.tasks[id]?.state;

describe('a mapped task', () => {
  it('fans out into one instance per element and hands the outputs on in order', () => {
    const { plan, run, listed: fanned } = listed(['a.csv', 'b.csv', 'c.csv']);
    expect(fanned.commands).toContainEqual({ type: 'expand_map', taskId: 'each', count: 3 });
    expect(dispatched(fanned.commands)).toEqual(['each[0]#1', 'each[1]#1', 'each[2]#1']);
    expect(run.tasks.each).toMatchObject({ state: 'running', attempt: 0, mapCount: 3 });
    expect(mapItemOf(plan, run, 'each[1]')).toBe('b.csv');
    // Finished out of order: the list keeps the instances' order.
    for (const i of [2, 0]) applyEvent(plan, run, events.succeeded(`each[${i}]`, 1, i * 10));
    expect(stateOf(run, 'sum')).toBe('pending');
    const last = applyEvent(plan, run, events.succeeded('each[1]', 1, 10));
    expect(last.changes.map((c) => `${c.taskId}:${c.to}`)).toEqual([
      'each[1]:succeeded',
      'each:succeeded',
      'sum:queued',
    ]);
    expect(outputOf(run, 'each')).toEqual([0, 10, 20]);
    applyEvent(plan, run, events.succeeded('sum'));
    expect(run.state).toBe('succeeded');
  });

  it('is skipped for an empty list, and so is its all_success downstream', () => {
    const { run } = listed([]);
    expect([stateOf(run, 'each'), stateOf(run, 'sum'), run.state]).toEqual([
      'skipped',
      'skipped',
      'succeeded',
    ]);
  });

  it('fails without retries when there is no list, naming the task and the path', () => {
    const { run } = listed({ not: 'a list' }, mapDag({ retries: 3 }));
    expect(stateOf(run, 'each')).toBe('failed');
    expect(run.tasks.each?.error).toMatchObject({ type: 'InvalidMapInput', retryable: false });
    expect(run.tasks.each?.error?.message).toContain("task 'each' maps over inputs.list.files");
    expect([stateOf(run, 'sum'), run.state]).toEqual(['upstream_failed', 'failed']);
  });

  it('retries an instance on its own, and fails the task when an instance fails for good', () => {
    const { plan, run } = listed(['x', 'y'], mapDag({ retries: 1 }));
    applyEvent(plan, run, events.failed('each[0]', 1));
    expect(stateOf(run, 'each[0]')).toBe('up_for_retry');
    applyEvent(plan, run, events.succeeded('each[1]', 1, 'y!'));
    expect(dispatched(applyEvent(plan, run, events.retryDue('each[0]', 2)).commands)).toEqual(['each[0]#2']);
    applyEvent(plan, run, events.failed('each[0]', 2));
    expect(stateOf(run, 'each')).toBe('failed');
    expect(run.tasks.each?.error).toMatchObject({ type: 'MappedInstancesFailed' });
    expect(run.tasks.each?.error?.message).toBe("1 of 2 instances of 'each' failed: each[0]");
    expect([stateOf(run, 'sum'), run.state]).toEqual(['upstream_failed', 'failed']);
  });

  it('counts each instance as an upstream task of its downstream tasks', () => {
    const oneFailed = listed(['x', 'y', 'z'], mapDag({ rule: 'one_failed' }));
    applyEvent(oneFailed.plan, oneFailed.run, events.failed('each[1]', 1));
    // one_failed fires at the first failed instance, before the others end; their outputs are null.
    expect(stateOf(oneFailed.run, 'sum')).toBe('queued');
    expect(outputOf(oneFailed.run, 'each')).toEqual([null, null, null]);

    const allDone = listed(['x', 'y'], mapDag({ rule: 'all_done' }));
    applyEvent(allDone.plan, allDone.run, events.failed('each[0]', 1));
    expect(stateOf(allDone.run, 'sum')).toBe('pending');
    applyEvent(allDone.plan, allDone.run, events.succeeded('each[1]', 1, 'y!'));
    expect(stateOf(allDone.run, 'sum')).toBe('queued');
    expect(outputOf(allDone.run, 'each')).toEqual([null, 'y!']);
  });

  it('ignores events for the mapped task itself and for instances it does not have', () => {
    const { plan, run } = listed(['x']);
    expect(applyEvent(plan, run, events.succeeded('each', 0)).applied).toBe(false);
    expect(applyEvent(plan, run, events.succeeded('each[1]', 1)).applied).toBe(false);
    expect(applyEvent(plan, run, events.succeeded('sum[0]', 1)).applied).toBe(false);
  });

  it('keeps its instances under the run limit', () => {
    const { plan, run, listed: fanned } = listed(['a', 'b', 'c', 'd'], mapDag({ perRun: 2 }));
    expect(dispatched(fanned.commands)).toEqual(['each[0]#1', 'each[1]#1']);
    expect(dispatched(applyEvent(plan, run, events.succeeded('each[0]', 1)).commands)).toEqual(['each[2]#1']);
  });

  it('cancels every unfinished instance with the run', () => {
    const { plan, run } = listed(['a', 'b']);
    applyEvent(plan, run, events.succeeded('each[0]', 1));
    const cancelled = applyEvent(plan, run, events.cancelled());
    expect(cancelled.commands).toContainEqual({ type: 'cancel_attempt', taskId: 'each[1]', attempt: 1 });
    expect(cancelled.commands.filter((c) => c.type === 'cancel_attempt')).toHaveLength(1);
    expect([stateOf(run, 'each'), stateOf(run, 'each[1]'), stateOf(run, 'sum')]).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
  });

  it('goes on from a snapshot reloaded without its counters', () => {
    const { run } = listed(['a', 'b', 'c'], mapDag({ perRun: 2 }));
    const plan = createPlan(mapDag({ perRun: 2 }));
    const reloaded = structuredClone(run);
    applyEvent(plan, reloaded, events.succeeded('each[0]', 1, 'A'));
    expect(stateOf(reloaded, 'each[2]')).toBe('queued');
    applyEvent(plan, reloaded, events.succeeded('each[1]', 1, 'B'));
    const last = applyEvent(plan, structuredClone(reloaded), events.succeeded('each[2]', 1, 'C'));
    expect(last.changes.map((c) => `${c.taskId}:${c.to}`)).toEqual([
      'each[2]:succeeded',
      'each:succeeded',
      'sum:queued',
    ]);
  });

  it('fans out again when cleared, reusing its instances and their attempt numbers', () => {
    const { plan, run } = listed(['a', 'b', 'c']);
    for (let i = 0; i < 3; i++) applyEvent(plan, run, events.succeeded(`each[${i}]`, 1, i));
    applyEvent(plan, run, events.succeeded('sum'));
    expect(() => selectTasksToClear(plan, run, { taskIds: ['each[1]'] })).toThrow(
      "'each[1]' is an instance of mapped task 'each': clear 'each' to run its instances again",
    );
    const ids = selectTasksToClear(plan, run, { taskIds: ['list'], downstream: true });
    applyEvent(plan, run, { type: 'tasks_cleared', taskIds: ids, at: 100 });
    // The list is shorter this time: two instances run again, the third stays as it ended.
    const again = applyEvent(plan, run, events.succeeded('list', 2, { files: ['p', 'q'] }));
    expect(dispatched(again.commands)).toEqual(['each[0]#2', 'each[1]#2']);
    expect(mapItemOf(plan, run, 'each[1]')).toBe('q');
    applyEvent(plan, run, events.succeeded('each[0]', 2, 'P'));
    applyEvent(plan, run, events.succeeded('each[1]', 2, 'Q'));
    expect(outputOf(run, 'each')).toEqual(['P', 'Q']);
    expect(run.tasks['each[2]']).toMatchObject({ state: 'succeeded', output: 2 });
    expect(stateOf(run, 'sum')).toBe('queued');
  });
});

describe('a mapped task against ordinary upstream tasks', () => {
  const outcomeEvent = (taskId: string, outcome: 'S' | 'F' | 'K') =>
    outcome === 'S'
      ? events.succeeded(taskId, 1, taskId)
      : outcome === 'F'
        ? events.failed(taskId, 1)
        : ({ type: 'task_skipped', taskId, attempt: 1, at: 20 } as const);

  it('decides its downstream task and the run as the same number of plain upstream tasks would', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('S' as const, 'F' as const, 'K' as const), { minLength: 1, maxLength: 6 }),
        fc.constantFrom(...TRIGGER_RULES),
        (outcomes, rule) => {
          const mapped = listed(
            outcomes.map((_, i) => i),
            mapDag({ rule }),
          );
          const plainIds = outcomes.map((_, i) => `u${i}`);
          const plain = startRun(
            dagOf(task('list'), ...plainIds.map((id) => task(id, ['list'])), {
              ...task('sum', plainIds),
              triggerRule: rule,
            }),
          );
          applyEvent(plain.plan, plain.run, events.succeeded('list', 1, { files: [] }));
          outcomes.forEach((outcome, i) => {
            applyEvent(mapped.plan, mapped.run, outcomeEvent(`each[${i}]`, outcome));
            applyEvent(plain.plan, plain.run, outcomeEvent(`u${i}`, outcome));
            expect(stateOf(mapped.run, 'sum')).toBe(stateOf(plain.run, 'sum'));
          });
          expect(mapped.run.state).toBe(plain.run.state);
        },
      ),
    );
  });
});

describe('a task mapped over a mapped task', () => {
  it("gets each upstream instance's output as its item", () => {
    const dag = dagOf(
      task('list'),
      { ...task('first', ['list']), map: { upstream: 'list', path: ['files'] } },
      { ...task('second', ['first']), map: { upstream: 'first', path: [] } },
    );
    const { plan, run } = startRun(dag);
    applyEvent(plan, run, events.succeeded('list', 1, { files: ['a', 'b'] }));
    applyEvent(plan, run, events.succeeded('first[1]', 1, 'B'));
    const fanned = applyEvent(plan, run, events.succeeded('first[0]', 1, 'A'));
    expect(dispatched(fanned.commands)).toEqual(['second[0]#1', 'second[1]#1']);
    expect([mapItemOf(plan, run, 'second[0]'), mapItemOf(plan, run, 'second[1]')]).toEqual(['A', 'B']);
  });
});

describe('slots shared with other runs', () => {
  /** A pool of slots like the coordinator's per-DAG limit. */
  function sharedSlots(slots: number): TaskSlots & { give(): void } {
    let free = slots;
    return {
      take: () => {
        if (free === 0) return false;
        free -= 1;
        return true;
      },
      give: () => {
        free += 1;
      },
    };
  }

  it('holds dispatches when no slot is free and sends them on slots_freed', () => {
    const slots = sharedSlots(1);
    const dag = dagOf(task('a'), task('b'));
    const plan = createPlan(dag);
    const runA = createRunSnapshot(plan);
    const startedA = applyEvent(plan, runA, events.runStarted(), { taskSlots: slots });
    expect(dispatched(startedA.commands)).toEqual(['a#1']);
    expect(applyEvent(plan, runA, { type: 'slots_freed', at: 5 }, { taskSlots: slots }).applied).toBe(false);
    applyEvent(plan, runA, events.succeeded('a'), { taskSlots: slots });
    slots.give();
    const freed = applyEvent(plan, runA, { type: 'slots_freed', at: 30 }, { taskSlots: slots });
    expect(freed.applied).toBe(true);
    expect(dispatched(freed.commands)).toEqual(['b#1']);
  });
});
