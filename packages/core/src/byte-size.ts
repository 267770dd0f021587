/** Bytes in a kibibyte, mebibyte, gibibyte. Sizes are whole bytes everywhere inside. */
export const KIB = 1024;
export const MIB = 1024 * KIB;
export const GIB = 1024 * MIB;

// Binary units as people write them in configuration; KB/MB/GB are the SI ones (powers of 1000).
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kib: KIB,
  mib: MIB,
  gib: GIB,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
};

/**
 * Reads a byte size: `1048576`, `512KiB`, `1MiB`, `1.5 GiB`, `10MB` (units are case-insensitive; KiB,
 * MiB, GiB are powers of 1024, KB, MB, GB powers of 1000). `undefined` when the text is not a size or
 * does not come to a whole number of bytes, so that the caller can name the field in its error.
 */
export function parseByteSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (match === null) return undefined;
  const unit = UNITS[(match[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Number(match[1]) * unit;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `300 B`, `512 KiB`, `2.4 MiB`: a size for people to read (exact sizes get no decimals). */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', GIB],
    ['MiB', MIB],
    ['KiB', KIB],
  ] as const) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
    }
  }
  return `${bytes} B`;
}
