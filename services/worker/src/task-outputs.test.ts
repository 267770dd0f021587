import { OUTPUT_REF_KEY } from '@tributary/bus';
import { describe, expect, it } from 'vitest';
import { planOutput } from './task-outputs.js';

const LIMITS = { inlineLimitBytes: 100, maxBytes: 1_000 };

describe('planOutput', () => {
  it('keeps an output up to the inline limit inline', () => {
    // '"' + 98 characters + '"' is exactly 100 bytes of JSON.
    expect(planOutput('t', 'x'.repeat(98), LIMITS)).toMatchObject({ kind: 'inline' });
  });

  it('stores an output over the inline limit, measured in UTF-8 bytes', () => {
    const plan = planOutput('t', 'é'.repeat(50), LIMITS);
    expect(plan.kind).toBe('store');
    if (plan.kind === 'store')
      expect(new TextDecoder().decode(plan.json)).toBe(JSON.stringify('é'.repeat(50)));
  });

  it('stores a small output that looks like a reference, so that it reaches downstream unchanged', () => {
    const lookalike = { [OUTPUT_REF_KEY]: { object: 'o', bytes: 1, sha256: 'a'.repeat(64) } };
    expect(planOutput('t', lookalike, LIMITS).kind).toBe('store');
    // In a list too: a mapped task's downstream task resolves references among its list's elements.
    expect(planOutput('t', [1, lookalike], LIMITS).kind).toBe('store');
    expect(planOutput('t', [1, { a: 1 }], LIMITS).kind).toBe('inline');
  });

  it('fails an output over the hard limit with OutputTooLarge naming the variable to raise', () => {
    const plan = planOutput('extract', 'x'.repeat(1_000), LIMITS);
    expect(plan.kind).toBe('too_large');
    if (plan.kind !== 'too_large') return;
    expect(plan.failure).toMatchObject({ type: 'OutputTooLarge', retryable: false });
    expect(plan.failure.message).toContain(
      "task 'extract' returned an output of 1002 B (1002 bytes of JSON)",
    );
    expect(plan.failure.message).toContain('over the limit of 1000 B (1000 bytes)');
    expect(plan.failure.message).toContain('raise TRIBUTARY_OUTPUT_MAX_BYTES on the workers');
  });
});
