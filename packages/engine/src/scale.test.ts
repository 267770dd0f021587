import { describe, expect, it } from 'vitest';
import { applyEvent } from './apply-event.js';
import { createPlan } from './plan.js';
import { chainDag, fanOutDag } from './testing/dags.js';
import { events, startRun } from './testing/events.js';
import { checkInvariants } from './testing/invariants.js';
import { simulate } from './testing/simulator.js';

// Correctness at the size the engine is built for; how fast it is goes in docs/performance.md, not here.
describe('runs of 20,000 tasks', () => {
  it('runs a 20,000-task fan-out to success', () => {
    const plan = createPlan(fanOutDag(20_000));
    const result = simulate(plan, { seed: 1, successRate: 1 });
    expect(checkInvariants(plan, result)).toEqual([]);
    expect(result.run.state).toBe('succeeded');
  });

  it('runs a 20,000-task chain to success', () => {
    const plan = createPlan(chainDag(20_000));
    const result = simulate(plan, { seed: 2, successRate: 1 });
    expect(checkInvariants(plan, result)).toEqual([]);
    expect(result.run.state).toBe('succeeded');
  });

  it('fails all 19,999 tasks after the failed head of a chain in one event, without deep recursion', () => {
    const { plan, run } = startRun(chainDag(20_000));
    const failed = applyEvent(plan, run, events.failed('t0'));
    expect(failed.changes).toHaveLength(20_000);
    expect(run.tasks.t19999?.state).toBe('upstream_failed');
    expect(run.state).toBe('failed');
  });
});
