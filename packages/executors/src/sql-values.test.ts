import { describe, expect, it } from 'vitest';
import { rowsToObjects, SQL_TYPES, toJsonValue, toSqlParameter } from './sql-values.js';

describe('sql values', () => {
  it('sends strings as they are, other JSON as its text, and null as NULL', () => {
    expect(toSqlParameter("it's; drop table x")).toBe("it's; drop table x");
    expect(toSqlParameter(42.5)).toBe('42.5');
    expect(toSqlParameter(true)).toBe('true');
    expect(toSqlParameter(null)).toBeNull();
    expect(toSqlParameter({ a: [1, 'b'] })).toBe('{"a":[1,"b"]}');
    expect(toSqlParameter([1, 2])).toBe('[1,2]');
  });

  it('serializes every parameter as the text it already is, whatever type the server gives it', () => {
    // The driver's own json serializer would quote JSON text again, and its boolean one read 'true' as false.
    for (const type of Object.values(SQL_TYPES)) expect(type.serialize('{"a":1}')).toBe('{"a":1}');
    expect(SQL_TYPES.boolean.serialize('true')).toBe('true');
  });

  it('keeps dates, timestamps and bytea as the text Postgres writes, and non-finite floats as text', () => {
    expect(SQL_TYPES.dateTime.parse('2026-01-02 03:04:05')).toBe('2026-01-02 03:04:05');
    expect(SQL_TYPES.bytea.parse('\\x00ff')).toBe('\\x00ff');
    expect(SQL_TYPES.float.parse('1.5')).toBe(1.5);
    expect(SQL_TYPES.float.parse('NaN')).toBe('NaN');
    expect(SQL_TYPES.float.parse('-Infinity')).toBe('-Infinity');
    expect(SQL_TYPES.json.parse('{"a":[1]}')).toEqual({ a: [1] });
  });

  it('makes any driver value JSON', () => {
    expect(toJsonValue(undefined)).toBeNull();
    expect(toJsonValue(10n ** 20n)).toBe('100000000000000000000');
    expect(toJsonValue(Number.POSITIVE_INFINITY)).toBe('Infinity');
    expect(toJsonValue(new Date(Date.UTC(2026, 0, 2)))).toBe('2026-01-02T00:00:00.000Z');
    expect(toJsonValue(Buffer.from([0, 255]))).toBe('\\x00ff');
    expect(toJsonValue([1, [new Uint8Array([1])], { b: Number.NaN }])).toEqual([1, ['\\x01'], { b: 'NaN' }]);
  });

  it('builds rows keyed by column name, keeping a __proto__ column as data', () => {
    const rows = rowsToObjects(
      [{ name: 'id' }, { name: '__proto__' }, { name: 'id' }],
      [
        [1, { polluted: true }, 2],
        [3, null, 4],
      ],
    );
    expect(rows).toHaveLength(2);
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
    expect(Object.hasOwn(rows[0] ?? {}, '__proto__')).toBe(true);
    expect((rows[0] as Record<string, unknown>).polluted).toBeUndefined();
    expect(rows[0]?.id).toBe(2);
    expect(rows[1]?.id).toBe(4);
  });
});
