/**
 * Values in and out of a sql task's statement. Template values go in as text of unknown type, so
 * Postgres reads each one as the type its place needs, exactly as it would read a quoted literal there
 * (`WHERE id = $1` reads '42' as an integer, `$1::jsonb` reads JSON). Values come out as JSON: the
 * driver's own conversions are kept only where they are lossless.
 */
import type { JsonObject, JsonValue } from '@tributary/core';
import type postgres from 'postgres';

/** Columns of a result, as the driver describes them. */
export interface SqlColumn {
  name: string;
}

const asText = (value: unknown): string => String(value);
const keepText = (raw: string): string => raw;

/**
 * postgres.js type handlers (its `types` option) for sql tasks, replacing its defaults where those would
 * change a value:
 *
 * - Parameters: the driver learns each parameter's type from the server, then serializes with that
 *   type's serializer; its json serializer would quote a JSON text again and its boolean one would
 *   turn 'true' into 'f'. Every value is already text here (see {@link toSqlParameter}), so it is sent
 *   as it is.
 * - Results: dates and timestamps stay the text Postgres writes (`2026-01-02 03:04:05+00`) instead of a
 *   JavaScript Date, which would read a timestamp without time zone in the worker's zone; bytea stays
 *   `\x...` hex text; `NaN` and `Infinity` floats stay text, which JSON cannot hold as numbers.
 *   bigint and numeric are text already (the driver's default), so no digit is lost.
 */
export const SQL_TYPES = {
  dateTime: { to: 1184, from: [1082, 1114, 1184], serialize: asText, parse: keepText },
  bytea: { to: 17, from: [17], serialize: asText, parse: keepText },
  boolean: { to: 16, from: [16], serialize: asText, parse: (raw: string) => raw === 't' },
  json: { to: 114, from: [114, 3802], serialize: asText, parse: (raw: string) => JSON.parse(raw) as unknown },
  float: { to: 701, from: [700, 701], serialize: asText, parse: parseFloatText },
} satisfies Record<string, postgres.PostgresType>;

function parseFloatText(raw: string): number | string {
  const number = Number(raw);
  return Number.isFinite(number) ? number : raw;
}

/**
 * A template value as a bind parameter: null is SQL NULL; strings are sent as they are; numbers and
 * booleans as their JSON text; objects and lists as JSON (read them with `::jsonb`).
 */
export function toSqlParameter(value: JsonValue): string | null {
  if (value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * A value from a result row as JSON. The type handlers above leave only JSON values; anything else a
 * custom driver setup might return is made JSON rather than dropped.
 */
export function toJsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return String(value);
  }
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  // fromEntries defines own properties, so a `__proto__` key stays a key.
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toJsonValue(item)]));
}

/**
 * Rows as objects keyed by column name, from the driver's arrays of values. Built here rather than by
 * the driver, which assigns `row[name]`: a column named `__proto__` would set the row's prototype.
 * When two columns share a name, the last one wins.
 */
export function rowsToObjects(columns: readonly SqlColumn[], rows: readonly unknown[][]): JsonObject[] {
  return rows.map((values) =>
    Object.fromEntries(columns.map((column, index) => [column.name, toJsonValue(values[index])])),
  );
}
