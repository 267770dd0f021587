import { describe, expect, it } from 'vitest';
import { formatTable } from './table.js';

describe('formatTable', () => {
  it('aligns columns two spaces apart without trailing spaces', () => {
    expect(
      formatTable(
        ['A', 'LONGER'],
        [
          ['wide cell', 'x'],
          ['b', ''],
        ],
      ),
    ).toBe('A          LONGER\nwide cell  x\nb\n');
  });

  it('ignores colour escapes when measuring and flattens newlines', () => {
    const red = '\u001b[31mred\u001b[39m';
    expect(formatTable(['C', 'D'], [[red, 'two\nlines']])).toBe(`C    D\n${red}  two lines\n`);
  });
});
