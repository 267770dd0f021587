/** Visible width of a cell: ANSI colour escapes take no room on screen. */
function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point.
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/**
 * Lays out rows under headers in left-aligned columns two spaces apart, one line each, with no
 * trailing spaces. Cells are single-line: newlines in a cell are flattened to spaces.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const clean = rows.map((row) => headers.map((_, column) => (row[column] ?? '').replace(/\s*\n\s*/g, ' ')));
  const widths = headers.map((header, column) =>
    Math.max(visibleLength(header), ...clean.map((row) => visibleLength(row[column] ?? ''))),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell + ' '.repeat(Math.max(0, (widths[column] ?? 0) - visibleLength(cell))))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...clean.map(line)].join('\n')}\n`;
}
