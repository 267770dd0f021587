import { describe, expect, it } from 'vitest';
import { createLineSplitter } from './line-splitter.js';

function split(chunks: string[], maxPending?: number): string[] {
  const lines: string[] = [];
  const splitter = createLineSplitter((line) => lines.push(line), maxPending);
  for (const chunk of chunks) splitter.write(chunk);
  splitter.end();
  return lines;
}

describe('createLineSplitter', () => {
  it('joins lines split across chunks and strips CRLF endings', () => {
    expect(split(['one\r\ntw', 'o\nthr', 'ee'])).toEqual(['one', 'two', 'three']);
  });

  it('keeps empty lines and adds none for a final newline', () => {
    expect(split(['a\n\nb\n'])).toEqual(['a', '', 'b']);
  });

  it('emits an over-long partial line instead of buffering it forever', () => {
    expect(split(['abcdef', 'gh\n'], 4)).toEqual(['abcdef', 'gh']);
  });
});
