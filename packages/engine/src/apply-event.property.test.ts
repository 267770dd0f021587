import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEvent, applyEvents } from './apply-event.js';
import { createPlan } from './plan.js';
import { createRunSnapshot } from './snapshot.js';
import { task } from './testing/dags.js';
import { checkInvariants } from './testing/invariants.js';
import { type SimulationOptions, simulate } from './testing/simulator.js';
import type { PlanDag, RunSnapshot } from './types.js';

/** Random acyclic DAGs: task i needs up to four of tasks 0..i-1, declared in either order. */
const dags: fc.Arbitrary<PlanDag> = fc
  .integer({ min: 1, max: 40 })
  .chain((n) =>
    fc.tuple(
      fc.tuple(
        ...Array.from({ length: n }, (_, i) =>
          fc.record({
            needs: fc.subarray(
              Array.from({ length: i }, (_, j) => `t${j}`),
              { maxLength: Math.min(i, 4) },
            ),
            retries: fc.integer({ min: 0, max: 2 }),
            retryDelayMs: fc.integer({ min: 0, max: 100 }),
          }),
        ),
      ),
      fc.boolean(),
    ),
  )
  .map(([specs, reversed]) => {
    const tasks = specs.map((spec, i) => task(`t${i}`, spec.needs, spec));
    return { tasks: reversed ? tasks.reverse() : tasks };
  });

/** A probability in steps of 1%: fc.double would crowd its values at the bounds. */
const percent = (min: number, max: number) => fc.integer({ min, max }).map((p) => p / 100);

const simulations: fc.Arbitrary<SimulationOptions> = fc.record({
  seed: fc.integer(),
  successRate: percent(30, 100),
  startRate: percent(0, 100),
  cancelRate: fc.constantFrom(0, 0, 0.01, 0.05),
  noiseRate: fc.constantFrom(0, 0.1, 0.3),
});

describe('the engine driven by a random simulation', () => {
  it('keeps every invariant on random DAGs, outcomes, cancellations, duplicates and stale reports', () => {
    fc.assert(
      fc.property(dags, simulations, (dag, options) => {
        const plan = createPlan(dag);
        const result = simulate(plan, options);
        expect(checkInvariants(plan, result)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('continues a snapshot read back from JSON mid-run exactly as the original does', () => {
    fc.assert(
      fc.property(dags, simulations, percent(0, 100), (dag, options, cut) => {
        const plan = createPlan(dag);
        const original = simulate(plan, options);
        const at = Math.floor(cut * original.events.length);
        const resumed = createRunSnapshot(plan);
        applyEvents(plan, resumed, original.events.slice(0, at));
        const loaded = JSON.parse(JSON.stringify(resumed)) as RunSnapshot;
        original.events.slice(at).forEach((event, i) => {
          const expected = original.transitions[at + i];
          expect(applyEvent(plan, resumed, event)).toEqual(expected);
          expect(applyEvent(plan, loaded, event)).toEqual(expected);
        });
        expect(loaded).toEqual(original.run);
        expect(resumed).toEqual(original.run);
      }),
      { numRuns: 200 },
    );
  });
});
