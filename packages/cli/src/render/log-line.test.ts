import { describe, expect, it } from 'vitest';
import { createPalette } from './colors.js';
import { formatLogLine } from './log-line.js';

const plain = createPalette(false);
const AT = Date.UTC(2026, 4, 4, 10, 0, 1, 250);

describe('formatLogLine', () => {
  it('prints the UTC time, the stream and the line', () => {
    expect(formatLogLine({ at: AT, stream: 'stdout', line: 'extracted 42 rows' }, plain)).toBe(
      '2026-05-04T10:00:01.250Z stdout extracted 42 rows\n',
    );
    expect(formatLogLine({ at: AT, stream: 'stderr', line: 'oops' }, plain)).toBe(
      '2026-05-04T10:00:01.250Z stderr oops\n',
    );
  });

  it('labels ctx.log lines by their level, padded so that the lines start in one column', () => {
    expect(formatLogLine({ at: AT, stream: 'log', level: 'warn', line: 'slow' }, plain)).toBe(
      '2026-05-04T10:00:01.250Z warn   slow\n',
    );
    expect(formatLogLine({ at: AT, stream: 'log', line: 'no level' }, plain)).toBe(
      '2026-05-04T10:00:01.250Z log    no level\n',
    );
  });

  it('starts with the task when one is given, as a local run prints it', () => {
    expect(formatLogLine({ at: AT, stream: 'stdout', line: 'hi' }, plain, 'load[2]')).toBe(
      '[load[2]] 2026-05-04T10:00:01.250Z stdout hi\n',
    );
  });

  it('colours stderr and errors red when colour is on', () => {
    const line = formatLogLine({ at: AT, stream: 'stderr', line: 'oops' }, createPalette(true));
    expect(line).toContain('\u001b[31mstderr\u001b[39m');
  });
});
