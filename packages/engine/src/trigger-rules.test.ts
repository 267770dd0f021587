import { describe, expect, it } from 'vitest';
import { emptyUpstreamCounts, evaluateTriggerRule, upstreamOutcome } from './trigger-rules.js';

describe('evaluateTriggerRule all_success', () => {
  it('runs a task without upstream tasks at once', () => {
    expect(evaluateTriggerRule('all_success', emptyUpstreamCounts(0))).toBe('run');
  });

  it('waits while some upstream tasks have not succeeded', () => {
    expect(evaluateTriggerRule('all_success', { ...emptyUpstreamCounts(3), succeeded: 2 })).toBe('wait');
  });

  it('runs once every upstream task succeeded', () => {
    expect(evaluateTriggerRule('all_success', { ...emptyUpstreamCounts(3), succeeded: 3 })).toBe('run');
  });

  it('gives up as upstream_failed on the first failure without waiting for the rest', () => {
    expect(evaluateTriggerRule('all_success', { ...emptyUpstreamCounts(3), failed: 1 })).toBe(
      'upstream_failed',
    );
    expect(evaluateTriggerRule('all_success', { ...emptyUpstreamCounts(3), upstreamFailed: 1 })).toBe(
      'upstream_failed',
    );
    expect(evaluateTriggerRule('all_success', { ...emptyUpstreamCounts(3), cancelled: 1 })).toBe(
      'upstream_failed',
    );
  });

  it('skips a task whose upstream task was skipped, as Airflow does', () => {
    expect(evaluateTriggerRule('all_success', { ...emptyUpstreamCounts(2), succeeded: 1, skipped: 1 })).toBe(
      'skipped',
    );
  });

  it('lets a failure win over a skip', () => {
    expect(evaluateTriggerRule('all_success', { ...emptyUpstreamCounts(2), skipped: 1, failed: 1 })).toBe(
      'upstream_failed',
    );
  });
});

describe('upstreamOutcome', () => {
  it('maps each terminal state to its counter and the others to none', () => {
    expect(upstreamOutcome('succeeded')).toBe('succeeded');
    expect(upstreamOutcome('upstream_failed')).toBe('upstreamFailed');
    expect(upstreamOutcome('cancelled')).toBe('cancelled');
    expect(upstreamOutcome('running')).toBeUndefined();
    expect(upstreamOutcome('up_for_retry')).toBeUndefined();
  });
});
