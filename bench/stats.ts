/** The value at quantile `q` (0–1) of `values`, by the nearest-rank method; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Median, minimum and maximum of repeated measurements. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The {@link Spread} of `values`, ignoring missing ones; undefined when none is left. */
export function spread(values: readonly (number | undefined)[]): Spread | undefined {
  const present = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (present.length === 0) return undefined;
  return { median: quantile(present, 0.5), min: Math.min(...present), max: Math.max(...present) };
}
