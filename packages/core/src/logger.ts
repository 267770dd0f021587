/**
 * Where a service writes what it does. The coordinator and the worker share this one; `@tributary/telemetry`'s
 * `createServiceLogger` is the implementation they run with. `fields` are added to the line as they are,
 * except that `Error` values keep their message and stack.
 */
export interface Logger {
  /** Detail that helps while investigating; dropped unless the level is `debug`. */
  debug(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}
