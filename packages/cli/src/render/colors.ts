/** ANSI colours, or none: one switch decides for a whole command's output. */
export interface Palette {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  gray(text: string): string;
  bold(text: string): string;
}

function ansi(open: number, close: number): (text: string) => string {
  return (text) => `\u001b[${open}m${text}\u001b[${close}m`;
}

const identity = (text: string): string => text;

/** A palette that colours when `enabled` (stdout is a TTY and NO_COLOR is unset), else leaves text alone. */
export function createPalette(enabled: boolean): Palette {
  if (!enabled) {
    return {
      red: identity,
      green: identity,
      yellow: identity,
      blue: identity,
      gray: identity,
      bold: identity,
    };
  }
  return {
    red: ansi(31, 39),
    green: ansi(32, 39),
    yellow: ansi(33, 39),
    blue: ansi(34, 39),
    gray: ansi(90, 39),
    bold: ansi(1, 22),
  };
}
