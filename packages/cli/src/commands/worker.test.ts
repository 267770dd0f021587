import { describe, expect, it } from 'vitest';
import { parsePools } from './worker.js';

describe('parsePools', () => {
  it('accepts repeated and comma-separated --pool values, once each, in order', () => {
    expect(parsePools(['default,gpu', 'io', 'gpu', ' spaced , '])).toEqual([
      'default',
      'gpu',
      'io',
      'spaced',
    ]);
  });

  it('gives no pools for no flags', () => {
    expect(parsePools([])).toEqual([]);
  });
});
