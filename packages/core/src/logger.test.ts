import { describe, expect, it } from 'vitest';
import { createJsonLogger } from './logger.js';

describe('createJsonLogger', () => {
  it('writes one JSON line per call with level, message, base tags and fields, errors included', () => {
    const lines: string[] = [];
    const logger = createJsonLogger(
      { service: 'coordinator' },
      { write: (line: string) => lines.push(line) },
    );
    logger.warn('tick failed', { error: new TypeError('boom'), count: 2 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 'warn', msg: 'tick failed', service: 'coordinator', count: 2 });
    expect(entry.error).toMatchObject({ name: 'TypeError', message: 'boom' });
    expect(Number.isNaN(Date.parse(entry.time))).toBe(false);
  });
});
