import { describe, expect, it } from 'vitest';
import { DURATION_PATTERN, parseDuration } from './durations.js';

describe('parseDuration', () => {
  it('reads strings with units the way ms does', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('2 days')).toBe(172_800_000);
    expect(parseDuration('1w')).toBe(604_800_000);
  });

  it('reads a non-negative integer as seconds', () => {
    expect(parseDuration(45)).toBe(45_000);
    expect(parseDuration(0)).toBe(0);
  });

  it('rejects unknown units, bare numeric strings, negative and fractional numbers', () => {
    for (const bad of ['30x', '30', '-1s', 'soon', '', '1y', '30S', ' 30s', -1, 1.5, null, true])
      expect(parseDuration(bad)).toBeUndefined();
  });

  it('publishes a pattern that accepts exactly the strings it parses', () => {
    const pattern = new RegExp(DURATION_PATTERN);
    expect(['30s', '10m', '500ms', '1.5h', '2 days'].every((text) => pattern.test(text))).toBe(true);
    expect(['30x', '30', '-1s', '1y', '30S'].some((text) => pattern.test(text))).toBe(false);
  });
});
