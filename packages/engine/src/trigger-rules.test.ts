import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TRIGGER_RULES } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { applyEvent } from './apply-event.js';
import { createPlan } from './plan.js';
import { createRunSnapshot } from './snapshot.js';
import { events } from './testing/events.js';
import {
  TRIGGER_RULE_TABLE,
  triggerRuleCases,
  triggerRuleConformanceDag,
  UPSTREAM_MIXES,
  type UpstreamMix,
} from './testing/trigger-rule-table.js';
import {
  emptyUpstreamCounts,
  evaluateTriggerRule,
  type UpstreamCounts,
  upstreamOutcome,
} from './trigger-rules.js';
import type { EngineEvent } from './types.js';

function countsOf(mix: UpstreamMix): UpstreamCounts {
  const counts = emptyUpstreamCounts(mix.length);
  for (const letter of mix) {
    if (letter === 'S') counts.succeeded++;
    if (letter === 'F') counts.failed++;
    if (letter === 'K') counts.skipped++;
    if (letter === 'U') counts.upstreamFailed++;
  }
  return counts;
}

describe('the trigger-rule table', () => {
  it('has a row for every rule', () => {
    expect(Object.keys(TRIGGER_RULE_TABLE).sort()).toEqual([...TRIGGER_RULES].sort());
  });

  it.each(triggerRuleCases())('$rule with upstream $mix: $expected', ({ rule, mix, expected }) => {
    expect(evaluateTriggerRule(rule, countsOf(mix))).toBe(expected);
  });

  it('is the table docs/trigger-rules.md shows', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../../docs/trigger-rules.md'), 'utf8');
    // Rows as trimmed cells, whatever padding the formatter gave the table.
    const rows = doc
      .split('\n')
      .filter((line) => line.startsWith('|'))
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    expect(rows).toContainEqual(['rule', ...UPSTREAM_MIXES]);
    for (const rule of TRIGGER_RULES) {
      // The truth table is the last table with a row per rule.
      const row = rows.filter((cells) => cells[0] === `\`${rule}\``).at(-1);
      expect(row, `docs row for ${rule}`).toBeDefined();
      expect(row!.slice(1)).toEqual(TRIGGER_RULE_TABLE[rule]);
    }
  });
});

describe('decisions before every upstream task is done, as Airflow makes them', () => {
  const partial = (counts: Partial<UpstreamCounts>, total = 3): UpstreamCounts => ({
    ...emptyUpstreamCounts(total),
    ...counts,
  });

  it('runs one_success, one_failed and one_done at the first matching upstream outcome', () => {
    expect(evaluateTriggerRule('one_success', partial({ succeeded: 1 }))).toBe('run');
    expect(evaluateTriggerRule('one_failed', partial({ failed: 1 }))).toBe('run');
    expect(evaluateTriggerRule('one_failed', partial({ upstreamFailed: 1 }))).toBe('run');
    expect(evaluateTriggerRule('one_done', partial({ failed: 1 }))).toBe('run');
  });

  it('ends a task early when its rule can no longer be met', () => {
    expect(evaluateTriggerRule('all_success', partial({ failed: 1 }))).toBe('upstream_failed');
    expect(evaluateTriggerRule('all_success', partial({ skipped: 1 }))).toBe('skipped');
    expect(evaluateTriggerRule('all_failed', partial({ succeeded: 1 }))).toBe('skipped');
    expect(evaluateTriggerRule('none_failed', partial({ upstreamFailed: 1 }))).toBe('upstream_failed');
    expect(evaluateTriggerRule('none_skipped', partial({ skipped: 1 }))).toBe('skipped');
    expect(evaluateTriggerRule('all_skipped', partial({ succeeded: 1 }))).toBe('skipped');
    expect(evaluateTriggerRule('all_done_min_one_success', partial({ skipped: 1 }))).toBe('skipped');
  });

  it('waits while the outcome is still open', () => {
    for (const rule of TRIGGER_RULES.filter((name) => name !== 'always')) {
      expect(evaluateTriggerRule(rule, partial({}))).toBe('wait');
    }
    expect(evaluateTriggerRule('one_success', partial({ failed: 2 }))).toBe('wait');
    expect(evaluateTriggerRule('all_done', partial({ succeeded: 2 }))).toBe('wait');
    expect(evaluateTriggerRule('none_failed_min_one_success', partial({ skipped: 2 }))).toBe('wait');
  });

  it('runs always at once and any task without upstream tasks', () => {
    expect(evaluateTriggerRule('always', partial({}))).toBe('run');
    for (const rule of TRIGGER_RULES) expect(evaluateTriggerRule(rule, emptyUpstreamCounts(0))).toBe('run');
  });

  it('counts a cancelled upstream task as failed', () => {
    expect(evaluateTriggerRule('one_failed', partial({ cancelled: 1 }))).toBe('run');
    expect(evaluateTriggerRule('all_success', partial({ cancelled: 1 }))).toBe('upstream_failed');
  });
});

describe('the conformance DAG driven through the engine', () => {
  it('ends every judged task as the table says', () => {
    const tasks = triggerRuleConformanceDag();
    const plan = createPlan({
      tasks: tasks.map(({ id, needs, triggerRule }) => ({
        id,
        needs,
        triggerRule,
        retries: 0,
        retryDelayMs: 0,
      })),
    });
    const run = createRunSnapshot(plan);
    const byId = new Map(tasks.map((task) => [task.id, task]));
    // Act as a worker: answer every dispatch with the outcome its task produces, until nothing is left.
    const queue: EngineEvent[] = [events.runStarted()];
    for (let event = queue.shift(); event !== undefined; event = queue.shift()) {
      for (const command of applyEvent(plan, run, event).commands) {
        if (command.type !== 'dispatch') continue;
        const { taskId, attempt } = command;
        const produces = byId.get(taskId)?.produces ?? 'S';
        if (produces === 'S') queue.push(events.succeeded(taskId, attempt));
        if (produces === 'F') queue.push(events.failed(taskId, attempt));
        if (produces === 'K') queue.push({ type: 'task_skipped', taskId, attempt, at: 20 });
      }
    }
    const mismatches = tasks
      .filter((task) => task.expected !== undefined && run.tasks[task.id]?.state !== task.expected)
      .map((task) => `${task.id}: expected ${task.expected}, got ${run.tasks[task.id]?.state}`);
    expect(mismatches).toEqual([]);
    expect(run.tasks.U1?.state).toBe('upstream_failed');
    expect(run.state).toBe('failed');
  });
});

describe('upstreamOutcome', () => {
  it('maps each terminal state to its counter and the others to none', () => {
    expect(upstreamOutcome('succeeded')).toBe('succeeded');
    expect(upstreamOutcome('upstream_failed')).toBe('upstreamFailed');
    expect(upstreamOutcome('cancelled')).toBe('cancelled');
    expect(upstreamOutcome('running')).toBeUndefined();
    expect(upstreamOutcome('up_for_retry')).toBeUndefined();
    expect(upstreamOutcome('up_for_reschedule')).toBeUndefined();
  });
});
