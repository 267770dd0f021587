/**
 * Template syntax of templatable task fields (a shell task's `command`, a sql task's `statement`, the
 * `env` values of node and shell tasks) and of an event trigger's `on.params` values and `dedupe_key`:
 * Airflow's `{{ name }}`, deliberately without Jinja's filters, expressions and statements. A template
 * holds one dotted name with optional numeric indexes (`{{ inputs.extract.files[0].path }}`); `\{{` is
 * a literal `{{`. This module only parses; which names exist is template-checks.ts (at validation) and
 * the executors' renderer (at run time).
 */

/** One step of a template's name: a field (`files`) or an array index (`[0]`). */
export type TemplatePathSegment = string | number;

/** A stretch of literal text, with `\{{` already turned into `{{`. */
export interface TemplateText {
  kind: 'text';
  text: string;
}

/** A `{{ name }}` to be replaced by a value. */
export interface TemplateName {
  kind: 'name';
  /** The name's segments: `inputs.a.files[0]` is `['inputs', 'a', 'files', 0]`. */
  path: TemplatePathSegment[];
  /** The whole template as written, braces included (`{{ params.date }}`), for messages. */
  source: string;
  /** Offset of its `{{` in the field's value. */
  offset: number;
}

export type TemplatePart = TemplateText | TemplateName;

/** Why a template cannot be parsed, and where its `{{` is in the field's value. */
export interface TemplateSyntaxError {
  message: string;
  offset: number;
}

/** A field's value split into literal text and names; `errors` lists every malformed template. */
export interface ParsedTemplate {
  parts: TemplatePart[];
  errors: TemplateSyntaxError[];
}

/** The roots a name may start with, and what may follow each (`'any'`: any path below it). */
export const TEMPLATE_ROOTS = {
  params: 'any',
  inputs: 'any',
  run: ['id', 'logical_date', 'data_interval_start', 'data_interval_end'],
  task: ['id'],
  attempt: [],
  matrix: 'any',
  map: ['index', 'item'],
} as const satisfies Record<string, 'any' | readonly string[]>;

/** The root names, for messages and suggestions. */
export type TemplateRoot = keyof typeof TEMPLATE_ROOTS;

/** What a template may hold, for error messages. */
export const TEMPLATE_HINT =
  'a template holds one name: params.<name>, inputs.<task>[.<field>...] (with [0]-style indexes), ' +
  'run.id, run.logical_date, run.data_interval_start, run.data_interval_end, task.id, attempt, ' +
  'matrix.<key> in a matrix task, or map.index and ' +
  'map.item[.<field>...] in a mapped task';

/**
 * What the templates of an event trigger (`on.params` values, `on.dedupe_key`) may read from the
 * message that starts the run: its subject, its body (JSON, or the text when it is not JSON) and its
 * headers.
 */
export const EVENT_TEMPLATE_FIELDS = ['subject', 'data', 'headers'] as const;

/** What an event trigger's template may hold, for error messages. */
export const EVENT_TEMPLATE_HINT =
  'an event template holds one name: event.subject, event.data[.<field>...] (with [0]-style ' +
  'indexes) or event.headers.<name>';

const ESCAPE_HINT = "write '\\{{' for a literal '{{'";

// A segment is a name (task ids may contain '-') or a numeric index; nothing else, so no expression
// can hide inside a template.
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*/;
const INDEX_PATTERN = /^\[(0|[1-9][0-9]*)\]/;

/** The segments of `name`, or undefined when it is not a dotted name with optional indexes. */
export function parseTemplatePath(name: string): TemplatePathSegment[] | undefined {
  const first = NAME_PATTERN.exec(name);
  if (first === null) return undefined;
  const path: TemplatePathSegment[] = [first[0]];
  let rest = name.slice(first[0].length);
  while (rest !== '') {
    const index = INDEX_PATTERN.exec(rest);
    if (index !== null) {
      path.push(Number(index[1]));
      rest = rest.slice(index[0].length);
      continue;
    }
    const field = rest.startsWith('.') ? NAME_PATTERN.exec(rest.slice(1)) : null;
    if (field === null) return undefined;
    path.push(field[0]);
    rest = rest.slice(1 + field[0].length);
  }
  return path;
}

/** A path as written in a template: `inputs.a.files[0]`. */
export function formatTemplatePath(path: readonly TemplatePathSegment[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      return index === 0 ? segment : `.${segment}`;
    })
    .join('');
}

function nameError(source: string, inner: string, hint: string): string {
  if (inner === '') return `empty template '${source}' (${hint}; ${ESCAPE_HINT})`;
  const what = /[|(+*/%~<>=!'"]/.test(inner) ? 'filters and expressions are not supported' : 'not a name';
  return `unsupported template '${source}': ${what} (${hint}; ${ESCAPE_HINT})`;
}

/**
 * Splits a field's value into text and `{{ name }}` parts. Never throws: malformed templates are
 * returned in `errors` (and left out of `parts`), so that one pass reports all of them. A `}}` with no
 * `{{` before it is plain text, as in Jinja. `hint`, what a template may hold where the value is, ends
 * the message of a malformed one.
 */
export function parseTemplate(value: string, hint: string = TEMPLATE_HINT): ParsedTemplate {
  const parts: TemplatePart[] = [];
  const errors: TemplateSyntaxError[] = [];
  let text = '';
  let at = 0;
  while (at < value.length) {
    const open = value.indexOf('{{', at);
    if (open === -1) {
      text += value.slice(at);
      break;
    }
    if (open > at && value[open - 1] === '\\') {
      text += `${value.slice(at, open - 1)}{{`;
      at = open + 2;
      continue;
    }
    text += value.slice(at, open);
    const close = value.indexOf('}}', open + 2);
    if (close === -1) {
      errors.push({ message: `unclosed '{{' (close it with '}}', or ${ESCAPE_HINT})`, offset: open });
      text += value.slice(open);
      break;
    }
    const source = value.slice(open, close + 2);
    const inner = value.slice(open + 2, close).trim();
    const path = parseTemplatePath(inner);
    if (path === undefined) {
      errors.push({ message: nameError(source, inner, hint), offset: open });
    } else {
      if (text !== '') parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: 'name', path, source, offset: open });
    }
    at = close + 2;
  }
  if (text !== '') parts.push({ kind: 'text', text });
  return { parts, errors };
}
