import { localTimeToEpoch } from '@tributary/schedule';
import { describe, expect, it } from 'vitest';
import { DATE_TIME_PATTERN } from './trigger-fields.js';

describe('DATE_TIME_PATTERN', () => {
  it('accepts the forms the parser reads, so editors flag what the parser refuses', () => {
    const pattern = new RegExp(DATE_TIME_PATTERN, 'u');
    const texts = [
      '2026-01-01',
      '2026-01-01T06:00',
      '2026-01-01 06:00:30',
      '2026-01-01T06:00:30.5Z',
      '2026-01-01T06:00+02:00',
      '2026-01-01T06:00-0530',
      '2026-1-1',
      'tomorrow',
      '2026-01-01T06',
      '2026-01-01Z',
      '01/02/2026',
    ];
    for (const text of texts) {
      // The pattern checks the form only: a date that does not exist (2026-02-30) passes it.
      expect(pattern.test(text), text).toBe(localTimeToEpoch(text, 'UTC') !== null);
    }
    expect(pattern.test('2026-02-30')).toBe(true);
  });
});
