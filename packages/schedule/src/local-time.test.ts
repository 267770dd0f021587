import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localTimeToEpoch } from './local-time.js';

const utc = (text: string) => Date.parse(text);

/** The wall time `timezone` shows at `epochMs`, as `YYYY-MM-DDTHH:MM:SS`. */
function wallTime(epochMs: number, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(epochMs);
  const get = (type: string) => parts.find((part) => part.type === type)?.value;
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}`;
}

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'];

describe('localTimeToEpoch', () => {
  it('reads a date as midnight and a date-time as wall time in the zone', () => {
    expect(localTimeToEpoch('2026-01-01', 'UTC')).toBe(utc('2026-01-01T00:00:00Z'));
    expect(localTimeToEpoch('2026-01-01', 'Europe/Berlin')).toBe(utc('2025-12-31T23:00:00Z'));
    expect(localTimeToEpoch('2026-07-01T12:00', 'Europe/Berlin')).toBe(utc('2026-07-01T10:00:00Z'));
    expect(localTimeToEpoch('2026-01-15T12:00:30', 'America/New_York')).toBe(utc('2026-01-15T17:00:30Z'));
    expect(localTimeToEpoch('2026-01-15 12:00', 'Asia/Kolkata')).toBe(utc('2026-01-15T06:30:00Z'));
    expect(localTimeToEpoch('2026-01-15T12:00:00.250', 'UTC')).toBe(utc('2026-01-15T12:00:00.250Z'));
  });

  it('moves a wall time in a DST gap forward to the first valid instant', () => {
    // Berlin skips 02:00-03:00 on 2026-03-29: 03:00 CEST is 01:00 UTC.
    expect(localTimeToEpoch('2026-03-29T02:30', 'Europe/Berlin')).toBe(utc('2026-03-29T01:00:00Z'));
    expect(localTimeToEpoch('2026-03-29T02:00', 'Europe/Berlin')).toBe(utc('2026-03-29T01:00:00Z'));
    expect(localTimeToEpoch('2026-03-29T03:00', 'Europe/Berlin')).toBe(utc('2026-03-29T01:00:00Z'));
    expect(localTimeToEpoch('2026-03-08T02:59:59', 'America/New_York')).toBe(utc('2026-03-08T07:00:00Z'));
    // Lord Howe moves its clocks by half an hour, 02:00 to 02:30 local (15:30 UTC).
    expect(localTimeToEpoch('2026-10-04T02:15', 'Australia/Lord_Howe')).toBe(utc('2026-10-03T15:30:00Z'));
    // Samoa skipped 2011-12-30 entirely: any time that day moves to 00:00 on the 31st (+14).
    expect(localTimeToEpoch('2011-12-30T12:00', 'Pacific/Apia')).toBe(utc('2011-12-30T10:00:00Z'));
    expect(localTimeToEpoch('2011-12-29T23:59:59', 'Pacific/Apia')).toBe(utc('2011-12-30T09:59:59Z'));
    // Sao Paulo once started summer time at midnight, so that day had no 00:00.
    expect(localTimeToEpoch('2018-11-04', 'America/Sao_Paulo')).toBe(utc('2018-11-04T03:00:00Z'));
  });

  it('reads a wall time shown twice (clocks set back) as its first occurrence', () => {
    // Berlin shows 02:00-03:00 twice on 2026-10-25: first in CEST (+2), then in CET (+1).
    expect(localTimeToEpoch('2026-10-25T02:30', 'Europe/Berlin')).toBe(utc('2026-10-25T00:30:00Z'));
    expect(localTimeToEpoch('2026-11-01T01:30', 'America/New_York')).toBe(utc('2026-11-01T05:30:00Z'));
  });

  it('reads Z and offsets as absolute instants, whatever the zone', () => {
    for (const zone of ZONES) {
      expect(localTimeToEpoch('2026-03-29T02:30Z', zone)).toBe(utc('2026-03-29T02:30:00Z'));
      expect(localTimeToEpoch('2026-03-29T02:30:00+05:30', zone)).toBe(utc('2026-03-28T21:00:00Z'));
      expect(localTimeToEpoch('2026-03-29T02:30-0800', zone)).toBe(utc('2026-03-29T10:30:00Z'));
    }
  });

  it('returns null for malformed text, dates and times that do not exist, and unknown zones', () => {
    const malformed = [
      '',
      'tomorrow',
      '2026-1-1',
      '26-01-01',
      '2026-02-29',
      '2026-02-30',
      '2026-13-01',
      '2026-00-10',
      '2026-01-00',
      '2026-01-01T24:00',
      '2026-01-01T10:60',
      '2026-01-01T10:00:60',
      '2026-01-01T10',
      '2026-01-01T10:00+25:00',
      '2026-01-01Z',
      '2026-01-01T10:00 Europe/Berlin',
    ];
    for (const text of malformed) expect(localTimeToEpoch(text, 'UTC'), text).toBeNull();
    expect(localTimeToEpoch('2028-02-29', 'UTC')).toBe(utc('2028-02-29T00:00:00Z'));
    expect(localTimeToEpoch('2026-01-01', 'Mars/Olympus_Mons')).toBeNull();
  });

  it('reads any wall time a zone shows back as the first instant showing it', () => {
    const instants = fc.integer({ min: utc('1990-01-01T00:00:00Z'), max: utc('2040-01-01T00:00:00Z') });
    fc.assert(
      fc.property(instants, fc.constantFrom(...ZONES), (epochMs, zone) => {
        const second = Math.floor(epochMs / 1000) * 1000;
        const shown = wallTime(second, zone);
        const read = localTimeToEpoch(shown, zone);
        expect(read).not.toBeNull();
        expect(wallTime(read as number, zone)).toBe(shown);
        expect(read).toBeLessThanOrEqual(second);
        // Only a wall time shown twice reads as an earlier instant, at most the size of the shift earlier.
        expect(second - (read as number)).toBeLessThanOrEqual(3_600_000);
      }),
    );
  });

  it('reads any ISO 8601 instant back exactly, whatever the zone', () => {
    const instants = fc.integer({ min: utc('1990-01-01T00:00:00Z'), max: utc('2040-01-01T00:00:00Z') });
    fc.assert(
      fc.property(instants, fc.constantFrom(...ZONES), (epochMs, zone) => {
        expect(localTimeToEpoch(new Date(epochMs).toISOString(), zone)).toBe(epochMs);
      }),
    );
  });
});
