/**
 * Where in a shell command or SQL statement each template stands. A shell template becomes one
 * single-quoted word and a SQL template a bind parameter (`$1`); both are only sound where a word or a
 * value may stand. Inside quotes they are not: `echo "{{ x }}"` puts the single quotes inside double
 * quotes, where `$(...)` in the value would run, and `'{{ x }}'` closes the author's quote around the
 * value. So such templates are refused, at validation and again at run time.
 */
import type { TemplateName, TemplatePart } from './templates.js';

/** A template that stands somewhere its value cannot be spliced safely, and a message saying why. */
export interface MisplacedTemplate {
  name: TemplateName;
  message: string;
}

type ShellMode = 'plain' | 'single' | 'double' | 'comment' | 'delimiter' | 'body';

const SHELL_CONTEXT: Record<Exclude<ShellMode, 'plain'>, string> = {
  single: 'inside single quotes',
  double: 'inside double quotes',
  comment: 'in a comment',
  delimiter: 'inside a here-document',
  body: 'inside a here-document',
};

function shellMessage(name: TemplateName, mode: Exclude<ShellMode, 'plain'>): string {
  const where = `template ${name.source} is ${SHELL_CONTEXT[mode]}`;
  if (mode === 'single' || mode === 'double') {
    return (
      `${where}: a template already becomes one quoted shell word, so write it outside the quotes ` +
      '(e.g. --day={{ params.date }} or "prefix-"{{ params.date }})'
    );
  }
  if (mode === 'comment') return `${where}: a newline in the value would end the comment; remove it`;
  return (
    `${where}, where quotes do not make one word: ` +
    `pass the value through env (env: { DAY: '{{ params.date }}' }) and use "$DAY"`
  );
}

const isBlank = (char: string) => char === ' ' || char === '\t';
// `#` starts a comment only at the start of a word.
const startsWord = (prev: string | undefined) => prev === undefined || /[\s;&|()<>]/.test(prev);

interface HereDoc {
  delimiter: string;
  stripTabs: boolean;
}

/**
 * A small POSIX sh lexer, only as deep as deciding whether a position is plain, quoted, in a comment or
 * in a here-document. `$(...)` and backticks need no state: their contents are lexed the same way.
 */
class ShellScanner {
  mode: ShellMode = 'plain';
  private escaped = false;
  private prev: string | undefined;
  private pending: HereDoc[] = [];
  private current: HereDoc | undefined;
  private delimiter = { word: '', stripTabs: false, started: false };
  private line = '';
  /** Open parentheses of a `$(( ))` arithmetic expansion, where `<<` is a shift, not a here-document. */
  private arithmetic = 0;

  feed(text: string): void {
    for (let at = 0; at < text.length; at++) at = this.step(text, at);
  }

  /** A template stands here: it counts as part of a word (and can never end a here-document). */
  template(): void {
    if (this.mode === 'plain') this.prev = 'x';
    if (this.mode === 'body') this.line += '\0';
    if (this.mode === 'delimiter') this.delimiter.started = true;
  }

  /** Handles the character at `at`; returns the index of the last character it consumed. */
  private step(text: string, at: number): number {
    const char = text[at] as string;
    switch (this.mode) {
      case 'plain':
        return this.plain(text, at, char);
      case 'single':
        if (char === "'") this.toPlain(char);
        return at;
      case 'double':
        if (this.escaped) this.escaped = false;
        else if (char === '\\') this.escaped = true;
        else if (char === '"') this.toPlain(char);
        return at;
      case 'comment':
        if (char === '\n') this.newline();
        return at;
      case 'delimiter':
        return this.delimiterChar(text, at, char);
      case 'body':
        this.bodyChar(char);
        return at;
    }
  }

  private plain(text: string, at: number, char: string): number {
    if (this.escaped) {
      this.escaped = false;
      this.prev = char;
      return at;
    }
    if (char === '\\') this.escaped = true;
    else if (char === "'") this.mode = 'single';
    else if (char === '"') this.mode = 'double';
    else if (char === '#' && startsWord(this.prev)) this.mode = 'comment';
    else if (char === '\n') this.newline();
    else if (char === '$' && text.startsWith('((', at + 1)) {
      this.arithmetic += 2;
      this.prev = '(';
      return at + 2;
    } else if (this.arithmetic > 0 && (char === '(' || char === ')')) {
      this.arithmetic += char === '(' ? 1 : -1;
    } else if (char === '<' && this.arithmetic === 0 && text[at + 1] === '<' && text[at + 2] !== '<') {
      const stripTabs = text[at + 2] === '-';
      this.mode = 'delimiter';
      this.delimiter = { word: '', stripTabs, started: false };
      return at + (stripTabs ? 2 : 1);
    }
    this.prev = char;
    return at;
  }

  private delimiterChar(text: string, at: number, char: string): number {
    const { delimiter } = this;
    if (!delimiter.started && isBlank(char)) return at;
    if (isBlank(char) || /[\n;&|<>()]/.test(char)) {
      this.pending.push({ delimiter: delimiter.word, stripTabs: delimiter.stripTabs });
      this.mode = 'plain';
      this.prev = ' ';
      return this.plain(text, at, char);
    }
    delimiter.started = true;
    // Quoting the delimiter only turns off expansion in the body; the quotes are not part of it.
    if (char !== "'" && char !== '"' && char !== '\\') delimiter.word += char;
    return at;
  }

  private bodyChar(char: string): void {
    if (char !== '\n') {
      this.line += char;
      return;
    }
    const here = this.current as HereDoc;
    const line = here.stripTabs ? this.line.replace(/^\t+/, '') : this.line;
    this.line = '';
    if (line === here.delimiter) this.newline();
  }

  /** At a newline outside quotes: here-documents started on this line begin their bodies. */
  private newline(): void {
    this.current = this.pending.shift();
    this.mode = this.current === undefined ? 'plain' : 'body';
    this.prev = undefined;
  }

  private toPlain(char: string): void {
    this.mode = 'plain';
    this.prev = char;
  }
}

/**
 * The templates of a shell command that are not in a plain word position: inside quotes, in a
 * comment, or in a here-document. Arithmetic (`$(( ))`) is not tracked: a quoted word there is a
 * syntax error, not an injection.
 */
export function findMisplacedShellTemplates(parts: readonly TemplatePart[]): MisplacedTemplate[] {
  const scanner = new ShellScanner();
  const misplaced: MisplacedTemplate[] = [];
  for (const part of parts) {
    if (part.kind === 'text') {
      scanner.feed(part.text);
      continue;
    }
    if (scanner.mode !== 'plain') misplaced.push({ name: part, message: shellMessage(part, scanner.mode) });
    scanner.template();
  }
  return misplaced;
}

type SqlMode = 'plain' | 'string' | 'identifier' | 'line' | 'block' | 'dollar';

const SQL_CONTEXT: Record<Exclude<SqlMode, 'plain'>, string> = {
  string: 'inside a string literal',
  identifier: 'inside a quoted identifier',
  line: 'in a comment',
  block: 'in a comment',
  dollar: 'inside a dollar-quoted string',
};

const DOLLAR_TAG = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/;
const IDENTIFIER_CHAR = /[A-Za-z0-9_$]/;

/** PostgreSQL's lexer, only as deep as deciding whether a position is code, quoted or commented. */
class SqlScanner {
  mode: SqlMode = 'plain';
  private backslashEscapes = false;
  private depth = 0;
  private tag = '';
  private prev: string | undefined;
  private prevPrev: string | undefined;

  feed(text: string): void {
    for (let at = 0; at < text.length; at++) {
      at = this.step(text, at);
      this.prevPrev = this.prev;
      this.prev = text[at];
    }
  }

  template(): void {
    this.prevPrev = this.prev;
    this.prev = '$';
  }

  private step(text: string, at: number): number {
    const char = text[at] as string;
    const next = text[at + 1];
    switch (this.mode) {
      case 'plain':
        return this.plain(text, at, char);
      case 'string':
        if (this.backslashEscapes && char === '\\') return at + 1;
        if (char === "'" && next === "'") return at + 1;
        if (char === "'") this.mode = 'plain';
        return at;
      case 'identifier':
        if (char === '"' && next === '"') return at + 1;
        if (char === '"') this.mode = 'plain';
        return at;
      case 'line':
        if (char === '\n') this.mode = 'plain';
        return at;
      case 'block':
        if (char === '/' && next === '*') this.depth++;
        else if (char === '*' && next === '/') this.depth--;
        else return at;
        if (this.depth === 0) this.mode = 'plain';
        return at + 1;
      case 'dollar':
        if (!text.startsWith(this.tag, at)) return at;
        this.mode = 'plain';
        return at + this.tag.length - 1;
    }
  }

  private plain(text: string, at: number, char: string): number {
    const next = text[at + 1];
    if (char === "'") {
      // E'...' strings take backslash escapes; the E must start its own token.
      const escapeString =
        (this.prev === 'E' || this.prev === 'e') &&
        (this.prevPrev === undefined || !IDENTIFIER_CHAR.test(this.prevPrev));
      this.backslashEscapes = escapeString;
      this.mode = 'string';
    } else if (char === '"') this.mode = 'identifier';
    else if (char === '-' && next === '-') this.mode = 'line';
    else if (char === '/' && next === '*') {
      this.mode = 'block';
      this.depth = 1;
      return at + 1;
    } else if (char === '$' && (this.prev === undefined || !IDENTIFIER_CHAR.test(this.prev))) {
      const tag = DOLLAR_TAG.exec(text.slice(at))?.[0];
      if (tag !== undefined) {
        this.mode = 'dollar';
        this.tag = tag;
        return at + tag.length - 1;
      }
    }
    return at;
  }
}

/**
 * The templates of a SQL statement that are not where a value may stand: inside a string literal, a
 * quoted identifier, a dollar-quoted string or a comment, where a bind parameter would be plain text.
 */
export function findMisplacedSqlTemplates(parts: readonly TemplatePart[]): MisplacedTemplate[] {
  const scanner = new SqlScanner();
  const misplaced: MisplacedTemplate[] = [];
  for (const part of parts) {
    if (part.kind === 'text') {
      scanner.feed(part.text);
      continue;
    }
    if (scanner.mode !== 'plain') {
      const message =
        `template ${part.source} is ${SQL_CONTEXT[scanner.mode]}: a template becomes a bind parameter ($1), ` +
        'which is plain text there; write it in place of the whole value (e.g. WHERE day = {{ params.date }})';
      misplaced.push({ name: part, message });
    }
    scanner.template();
  }
  return misplaced;
}
