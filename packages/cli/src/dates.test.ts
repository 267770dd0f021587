import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDateArgument } from './dates.js';

describe('parseDateArgument', () => {
  it('reads YYYY-MM-DD as UTC midnight', () => {
    expect(parseDateArgument('2024-01-31')).toBe(Date.UTC(2024, 0, 31));
    expect(parseDateArgument('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
  });

  it('reads ISO date-times with Z, with an offset, and without one as UTC', () => {
    expect(parseDateArgument('2024-01-31T06:30:00Z')).toBe(Date.UTC(2024, 0, 31, 6, 30));
    expect(parseDateArgument('2024-01-31T06:30:00.250Z')).toBe(Date.UTC(2024, 0, 31, 6, 30, 0, 250));
    expect(parseDateArgument('2024-01-31T08:30+02:00')).toBe(Date.UTC(2024, 0, 31, 6, 30));
    expect(parseDateArgument('2024-01-31T06:30')).toBe(Date.UTC(2024, 0, 31, 6, 30));
  });

  it('refuses days and times that do not exist, and anything not ISO', () => {
    for (const text of [
      '2024-02-30',
      '2023-02-29',
      '2024-13-01',
      '2024-01-31T24:00:00Z',
      '2024-01-31T06:60Z',
      '31/01/2024',
      '2024-1-31',
      'yesterday',
      '1706659200000',
      '',
    ]) {
      expect(parseDateArgument(text), text).toBeUndefined();
    }
  });

  it('gives back any instant from its ISO form and any day from its YYYY-MM-DD form', () => {
    const instants = fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(9999, 11, 31) });
    fc.assert(
      fc.property(instants, (ms) => {
        const iso = new Date(ms).toISOString();
        expect(parseDateArgument(iso)).toBe(ms);
        const day = iso.slice(0, 10);
        expect(parseDateArgument(day)).toBe(Date.parse(`${day}T00:00:00Z`));
      }),
    );
  });
});
