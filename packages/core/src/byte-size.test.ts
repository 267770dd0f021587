import { describe, expect, it } from 'vitest';
import { formatBytes, GIB, KIB, MIB, parseByteSize } from './byte-size.js';

describe('parseByteSize', () => {
  it.each([
    ['1048576', 1_048_576],
    ['0', 0],
    ['512KiB', 512 * KIB],
    ['1MiB', MIB],
    ['1 mib', MIB],
    ['1.5 GiB', 1.5 * GIB],
    ['10MB', 10_000_000],
    ['2kb', 2_000],
    ['300B', 300],
    [' 4 KiB ', 4 * KIB],
  ])('reads %j as %d bytes', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(['', 'big', '1 TiB', '-1', '1.5', '0.3KiB', '1e6', 'MiB', '1 MiB extra'])('refuses %j', (text) => {
    expect(parseByteSize(text)).toBeUndefined();
  });
});

describe('formatBytes', () => {
  it.each([
    [300, '300 B'],
    [512 * KIB, '512 KiB'],
    [MIB, '1 MiB'],
    [2.5 * MIB, '2.5 MiB'],
    [2_100_000, '2.0 MiB'],
    [64 * MIB, '64 MiB'],
    [3 * GIB, '3 GiB'],
  ])('writes %d as %j', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
