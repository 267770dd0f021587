/**
 * A partial line longer than this is emitted as a line of its own, so a process writing without
 * newlines cannot grow memory without bound. Generous, because a shell task's output is its last line.
 * @default 4 MiB of characters
 */
export const MAX_PENDING_LINE_CHARS = 4 * 1024 * 1024;

/** Splits a text stream into lines (`\n` or `\r\n`); call `end()` to flush the last unterminated line. */
export interface LineSplitter {
  write(chunk: string): void;
  end(): void;
}

/** Calls `onLine` once per complete line, without its line ending. */
export function createLineSplitter(
  onLine: (line: string) => void,
  maxPending = MAX_PENDING_LINE_CHARS,
): LineSplitter {
  let pending = '';
  return {
    write(chunk) {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        onLine(stripCr(pending.slice(0, newline)));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
      if (pending.length > maxPending) {
        onLine(pending);
        pending = '';
      }
    },
    end() {
      if (pending.length > 0) onLine(stripCr(pending));
      pending = '';
    },
  };
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
