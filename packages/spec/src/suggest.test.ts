import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, suggest } from './suggest.js';

describe('suggest', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('needs', 'neeeds')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests the closest candidate when it is a likely typo', () => {
    expect(suggest('extrakt', ['transform', 'extract', 'report'])).toBe('extract');
    expect(didYouMean('neeeds', ['needs', 'kind'])).toBe(" (did you mean 'needs'?)");
  });

  it('suggests nothing when every candidate is far away', () => {
    expect(suggest('zzz', ['extract', 'report'])).toBeUndefined();
    expect(didYouMean('load', ['extract'])).toBe('');
  });
});
