/** A JSON value: what params, inputs and outputs hold. The same shape as `@tributary/core`'s. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object, e.g. a run's params. */
export type JsonObject = { [key: string]: JsonValue };
