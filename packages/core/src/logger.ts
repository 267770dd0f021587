/** Where a service writes what it does. The coordinator and the worker share this one. */
export interface Logger {
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}

/**
 * Writes one JSON object per line: `{"time","level","msg",...base,...fields}`; `base` tags every line
 * (e.g. `{ service: 'coordinator' }`). @default stream process.stderr
 */
export function createJsonLogger(
  base: object = {},
  stream: { write(line: string): unknown } = process.stderr,
): Logger {
  const write = (level: string, msg: string, fields?: object) => {
    stream.write(
      `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields }, errors)}\n`,
    );
  };
  return {
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
  };
}

// JSON.stringify drops an Error's message and stack (they are not enumerable).
function errors(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}
