import type { TriggerRule } from '@tributary/core';

/**
 * The trigger-rule conformance table: for every rule and every mix of one or two upstream outcomes, the
 * state the task ends in once its upstream tasks are done. Written out by hand from Airflow's
 * `trigger_rule_dep.py` (the code, where its docs disagree), not computed by our engine, so that the
 * engine, the local runner and the cluster are each checked against it. docs/trigger-rules.md shows the
 * same table; a test keeps the two equal.
 *
 * Letters: S succeeded, F failed, K skipped, U upstream_failed. Cells: `run` (the task runs),
 * `upstream_failed`, `skipped`.
 */
export type UpstreamLetter = 'S' | 'F' | 'K' | 'U';
export type ExpectedOutcome = 'run' | 'upstream_failed' | 'skipped';

/** The column order of {@link TRIGGER_RULE_TABLE}: every multiset of one or two upstream outcomes. */
export const UPSTREAM_MIXES = [
  'S',
  'F',
  'K',
  'U',
  'SS',
  'SF',
  'SK',
  'SU',
  'FF',
  'FK',
  'FU',
  'KK',
  'KU',
  'UU',
] as const;
export type UpstreamMix = (typeof UPSTREAM_MIXES)[number];

const r = 'run';
const uf = 'upstream_failed';
const sk = 'skipped';

// biome-ignore format: a table reads best as a table
export const TRIGGER_RULE_TABLE: Readonly<Record<TriggerRule, readonly ExpectedOutcome[]>> = {
  //                             S   F   K   U   SS  SF  SK  SU  FF  FK  FU  KK  KU  UU
  all_success:                 [r,  uf, sk, uf, r,  uf, sk, uf, uf, uf, uf, sk, uf, uf],
  all_failed:                  [sk, r,  sk, r,  sk, sk, sk, sk, r,  sk, r,  sk, sk, r ],
  all_done:                    [r,  r,  r,  r,  r,  r,  r,  r,  r,  r,  r,  r,  r,  r ],
  all_done_min_one_success:    [r,  uf, sk, uf, r,  r,  sk, r,  uf, sk, uf, sk, sk, uf],
  all_skipped:                 [sk, sk, r,  sk, sk, sk, sk, sk, sk, sk, sk, r,  sk, sk],
  one_success:                 [r,  uf, sk, uf, r,  r,  r,  r,  uf, uf, uf, sk, uf, uf],
  one_failed:                  [sk, r,  sk, r,  sk, r,  sk, r,  r,  r,  r,  sk, r,  r ],
  one_done:                    [r,  r,  sk, sk, r,  r,  r,  r,  r,  r,  r,  sk, sk, sk],
  none_failed:                 [r,  uf, r,  uf, r,  uf, r,  uf, uf, uf, uf, r,  uf, uf],
  none_failed_min_one_success: [r,  uf, sk, uf, r,  uf, r,  uf, uf, uf, uf, sk, uf, uf],
  none_skipped:                [r,  r,  sk, r,  r,  r,  sk, r,  r,  sk, r,  sk, sk, r ],
  always:                      [r,  r,  r,  r,  r,  r,  r,  r,  r,  r,  r,  r,  r,  r ],
};

/** Every cell of the table, for `it.each`. */
export function triggerRuleCases(): { rule: TriggerRule; mix: UpstreamMix; expected: ExpectedOutcome }[] {
  return Object.entries(TRIGGER_RULE_TABLE).flatMap(([rule, row]) =>
    UPSTREAM_MIXES.map((mix, column) => ({
      rule: rule as TriggerRule,
      mix,
      expected: row[column] as ExpectedOutcome,
    })),
  );
}

/** One task of the conformance DAG: a producer of an upstream outcome, or a task judged by its rule. */
export interface ConformanceTask {
  id: string;
  needs: string[];
  triggerRule: TriggerRule;
  /** For producers: the outcome the task must produce (`U` is produced by needing a failing task). */
  produces?: 'S' | 'F' | 'K';
  /** For judged tasks: the state the table expects it to end in (`run` means `succeeded`). */
  expected?: 'succeeded' | 'upstream_failed' | 'skipped';
}

/**
 * One DAG that checks the whole table in a single run: two producers of each outcome (S1, S2, F1, F2,
 * K1, K2, and U1, U2 under a failing `Fu`) and one judged task per cell, `<rule>__<mix>`, needing the
 * producers of its mix. Judged tasks always succeed when they run.
 *
 * Rules decide as soon as they can, so a cell whose outcome depends on which upstream task ends first
 * needs an order: `all_success` ends `skipped` if a skipped upstream task is seen first and
 * `upstream_failed` if a failed one is (in Airflow too). The table gives the answer with both known
 * (failure wins), so in mixes of K with F or U the skipped producer is one that starts only after the
 * failure (`KafterF`, `KafterU`, under `all_done`).
 */
export function triggerRuleConformanceDag(): ConformanceTask[] {
  const producers: ConformanceTask[] = [
    { id: 'S1', needs: [], triggerRule: 'all_success', produces: 'S' },
    { id: 'S2', needs: [], triggerRule: 'all_success', produces: 'S' },
    { id: 'F1', needs: [], triggerRule: 'all_success', produces: 'F' },
    { id: 'F2', needs: [], triggerRule: 'all_success', produces: 'F' },
    { id: 'K1', needs: [], triggerRule: 'all_success', produces: 'K' },
    { id: 'K2', needs: [], triggerRule: 'all_success', produces: 'K' },
    { id: 'Fu', needs: [], triggerRule: 'all_success', produces: 'F' },
    { id: 'U1', needs: ['Fu'], triggerRule: 'all_success', produces: 'S' },
    { id: 'U2', needs: ['Fu'], triggerRule: 'all_success', produces: 'S' },
    { id: 'KafterF', needs: ['F1'], triggerRule: 'all_done', produces: 'K' },
    { id: 'KafterU', needs: ['U1'], triggerRule: 'all_done', produces: 'K' },
  ];
  const judged = triggerRuleCases().map(({ rule, mix, expected }) => {
    const used: Record<string, number> = {};
    const late = mix.includes('F') ? 'KafterF' : mix.includes('U') ? 'KafterU' : undefined;
    const needs = [...mix].map((letter) => {
      if (letter === 'K' && late !== undefined) return late;
      used[letter] = (used[letter] ?? 0) + 1;
      return `${letter}${used[letter]}`;
    });
    return {
      id: `${rule}__${mix}`,
      needs,
      triggerRule: rule,
      expected: expected === 'run' ? ('succeeded' as const) : expected,
    };
  });
  return [...producers, ...judged];
}
