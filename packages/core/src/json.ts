/** A JSON value: what task outputs, params and run context hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object, e.g. a run's params. */
export type JsonObject = { [key: string]: JsonValue };
