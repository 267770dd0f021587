import { describe, expect, it } from 'vitest';
import { createBackoff, sleep } from './backoff.js';

describe('createBackoff', () => {
  it('grows from the initial delay to the cap and never returns zero', () => {
    const backoff = createBackoff(100, 1_000);
    const delays = Array.from({ length: 10 }, () => backoff.next());
    expect(delays[0]).toBeGreaterThanOrEqual(50);
    expect(delays[0]).toBeLessThanOrEqual(100);
    for (const delay of delays) expect(delay).toBeGreaterThan(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1_000);
    expect(delays[9]).toBeGreaterThanOrEqual(500);
  });

  it('starts over after reset', () => {
    const backoff = createBackoff(100, 10_000);
    for (let i = 0; i < 5; i++) backoff.next();
    backoff.reset();
    expect(backoff.next()).toBeLessThanOrEqual(100);
  });
});

describe('sleep', () => {
  it('resolves early when the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    await sleep(5_000, controller.signal);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
