/**
 * Run-time templating: `{{ name }}` in a task's fields replaced by values from the attempt. The syntax
 * and the checks made at validation live in @tributary/spec; here a name that has no value in this
 * run (an upstream output without the field) is a {@link TemplateError}, and the attempt fails before
 * its process starts.
 */
import type { Failure, JsonObject, JsonValue } from '@tributary/core';
import {
  findMisplacedShellTemplates,
  findMisplacedSqlTemplates,
  formatTemplatePath,
  type MisplacedTemplate,
  type ParsedTemplate,
  parseTemplate,
  type SqlTaskModel,
  type TaskModel,
  type TemplateName,
} from '@tributary/spec';
import type { ExecutionRequest } from './types.js';

/**
 * The values names resolve against: `params`, `inputs`, `run`, `task`, `attempt`, `matrix`, and in an
 * instance of a mapped task `map`.
 */
export type TemplateScope = JsonObject;

/** Turns a value into the text spliced in place of its template. */
export type TemplateQuote = (value: JsonValue) => string;

/** Options of {@link TemplateError}: which template failed, and in which field when known. */
export interface TemplateErrorOptions {
  /** The template as written (`{{ inputs.a.x }}`). */
  template?: string;
  /** The field it is in (`command`, `env.DAY`). */
  field?: string;
}

/**
 * A template that cannot be rendered: malformed, misplaced, or naming a value this run does not have.
 * Retrying cannot help: the same run has the same values.
 */
export class TemplateError extends Error {
  override name = 'TemplateError';
  readonly retryable = false;
  readonly template: string | undefined;
  readonly field: string | undefined;

  constructor(message: string, options: TemplateErrorOptions = {}) {
    super(message);
    this.template = options.template;
    this.field = options.field;
  }
}

/**
 * The scope of one attempt. `run.logical_date` (the start of the run's data interval, also
 * `run.data_interval_start`) and `run.data_interval_end` are ISO 8601 in UTC (`2026-01-02T03:04:05.000Z`);
 * `matrix` is the values of a matrix instance (empty for other tasks). `map` is `{ index, item }` of an
 * instance of a mapped task, and absent in other tasks (validation refuses `map.*` there).
 */
export function templateScope(request: ExecutionRequest): TemplateScope {
  const { task } = request;
  const scope: TemplateScope = {
    params: request.params,
    inputs: request.inputs,
    run: {
      id: request.runId,
      logical_date: new Date(request.logicalDate).toISOString(),
      data_interval_start: new Date(request.logicalDate).toISOString(),
      data_interval_end: new Date(request.dataIntervalEnd ?? request.logicalDate).toISOString(),
    },
    task: { id: request.taskId },
    attempt: request.attempt,
    matrix: task.matrix ?? {},
  };
  // An item of `undefined` cannot come from a JSON list; null keeps the scope JSON all the same.
  if (task.mapIndex !== undefined) scope.map = { index: task.mapIndex, item: task.mapItem ?? null };
  return scope;
}

function describe(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * The value `name` names in `scope`. Only own fields of objects and indexes of arrays are followed, so
 * `constructor` or `length` name nothing.
 */
export function resolveTemplateName(name: TemplateName, scope: TemplateScope): JsonValue {
  let current: JsonValue = scope;
  for (const [index, segment] of name.path.entries()) {
    const parent = formatTemplatePath(name.path.slice(0, index));
    let next: JsonValue | undefined;
    if (typeof segment === 'number' && Array.isArray(current)) next = current[segment];
    else if (typeof segment === 'string' && typeof current === 'object' && current !== null) {
      if (!Array.isArray(current) && Object.hasOwn(current, segment)) next = current[segment];
    }
    if (next !== undefined) {
      current = next;
      continue;
    }
    const what = typeof segment === 'number' ? `index ${segment}` : `field '${segment}'`;
    let why: string;
    if (index === 0 && segment === 'map') why = 'the task is not an instance of a mapped task';
    else if (index === 0) why = `'${segment}' is not a template name`;
    else if (parent === 'inputs') why = `there is no output of task '${segment}' (is it in needs?)`;
    else if (Array.isArray(current)) why = `${parent} is a list of ${current.length} and has no ${what}`;
    else if (typeof current === 'object' && current !== null) why = `${parent} has no ${what}`;
    else why = `${parent} is ${describe(current)} and has no ${what}`;
    throw new TemplateError(`${name.source} has no value: ${why}`, { template: name.source });
  }
  return current;
}

function parseOrThrow(text: string): ParsedTemplate {
  const parsed = parseTemplate(text);
  const [first] = parsed.errors;
  if (first !== undefined) throw new TemplateError(first.message);
  return parsed;
}

function throwMisplaced(misplaced: readonly MisplacedTemplate[]): void {
  const [first] = misplaced;
  if (first !== undefined) throw new TemplateError(first.message, { template: first.name.source });
}

function render(parsed: ParsedTemplate, scope: TemplateScope, quote: TemplateQuote): string {
  return parsed.parts
    .map((part) => (part.kind === 'text' ? part.text : quote(resolveTemplateName(part, scope))))
    .join('');
}

/**
 * Replaces every template in `text` with its value as `quote` writes it; `\{{` becomes `{{`. Throws a
 * {@link TemplateError} for a malformed template or a name without a value.
 */
export function renderTemplate(text: string, scope: TemplateScope, quote: TemplateQuote): string {
  if (!text.includes('{{')) return text;
  return render(parseOrThrow(text), scope, quote);
}

function refuseNul(text: string, where: string): string {
  if (text.includes('\0'))
    throw new TemplateError(`a value holds a NUL character, which ${where} cannot hold`);
  return text;
}

const asText = (value: JsonValue): string => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * One shell word, whatever the value holds: single-quoted, with each `'` written `'\''`. Strings are
 * their text; numbers, booleans and null their JSON text; objects and lists their JSON.
 */
export const quoteShellWord: TemplateQuote = (value) =>
  `'${refuseNul(asText(value), 'a shell command').replaceAll("'", "'\\''")}'`;

/** The value as it is: strings raw, anything else as JSON. For environment variables. */
export const quoteEnvValue: TemplateQuote = (value) => refuseNul(asText(value), 'an environment variable');

/**
 * Renders a shell command: each template becomes one quoted word. A template inside quotes, a comment
 * or a here-document is a {@link TemplateError} (validation refuses those too).
 */
export function renderShellCommand(text: string, scope: TemplateScope): string {
  if (!text.includes('{{')) return text;
  const parsed = parseOrThrow(text);
  throwMisplaced(findMisplacedShellTemplates(parsed.parts));
  return render(parsed, scope, quoteShellWord);
}

/** A SQL statement with bind parameters, and their values in order (`$1` is `values[0]`). */
export interface RenderedSql {
  text: string;
  values: JsonValue[];
}

/**
 * Renders a SQL statement without splicing any value: each template becomes a bind parameter (`$1`,
 * `$2`, ...; the same name twice is the same parameter). A template inside a string literal, quoted
 * identifier or comment is a {@link TemplateError}: a parameter there would be plain text.
 */
export function renderSqlTemplate(text: string, scope: TemplateScope): RenderedSql {
  if (!text.includes('{{')) return { text, values: [] };
  const parsed = parseOrThrow(text);
  throwMisplaced(findMisplacedSqlTemplates(parsed.parts));
  const values: JsonValue[] = [];
  const numbers = new Map<string, number>();
  const parts = parsed.parts.map((part) => {
    if (part.kind === 'text') return part.text;
    const key = formatTemplatePath(part.path);
    let number = numbers.get(key);
    if (number === undefined) {
      values.push(resolveTemplateName(part, scope));
      number = values.length;
      numbers.set(key, number);
    }
    return `$${number}`;
  });
  return { text: parts.join(''), values };
}

/** Renders one field, naming the task and field in the error. */
function renderField<T>(taskId: string, field: string, render: () => T): T {
  try {
    return render();
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    const options = error.template === undefined ? { field } : { field, template: error.template };
    throw new TemplateError(`task '${taskId}', field '${field}': ${error.message}`, options);
  }
}

/**
 * A sql task's statement with its templates as bind parameters, and their values. Throws a
 * {@link TemplateError} naming the task and the `statement` field.
 */
export function renderSqlStatement(request: ExecutionRequest, task: SqlTaskModel): RenderedSql {
  return renderField(task.id, 'statement', () => renderSqlTemplate(task.statement, templateScope(request)));
}

/** The failure of an attempt whose templates could not be rendered (not retryable). */
export function templateFailure(error: TemplateError): Failure {
  const details: Record<string, string> = {};
  if (error.field !== undefined) details.field = error.field;
  if (error.template !== undefined) details.template = error.template;
  return { type: error.name, message: error.message, retryable: error.retryable, details };
}

/**
 * The request's task with its templated fields rendered: a shell task's `command` (as shell words), a
 * dag task's string `params` (see {@link renderParamValue}) and the `env` values of every kind (raw). A sql task's statement is rendered by the sql executor, with
 * {@link renderSqlStatement}, since it becomes a statement and values rather than text. Throws a
 * {@link TemplateError} naming the task and field.
 */
export function renderTaskTemplates(request: ExecutionRequest): TaskModel {
  const { task } = request;
  const scope = templateScope(request);
  // The command first: when both are wrong, its error is the one worth reading.
  const command =
    task.kind === 'shell'
      ? renderField(task.id, 'command', () => renderShellCommand(task.command, scope))
      : undefined;
  const env = Object.fromEntries(
    Object.entries(task.env).map(([name, value]) => [
      name,
      renderField(task.id, `env.${name}`, () => renderTemplate(value, scope, quoteEnvValue)),
    ]),
  );
  if (task.kind === 'dag') {
    const params = Object.fromEntries(
      Object.entries(task.params).map(([name, value]) => [
        name,
        typeof value === 'string'
          ? renderField(task.id, `params.${name}`, () => renderParamValue(value, scope))
          : value,
      ]),
    );
    return { ...task, env, params };
  }
  return task.kind === 'shell' ? { ...task, env, command: command as string } : { ...task, env };
}

/**
 * A dag task's string param: rendered like an env value, except that a value that is one template alone
 * keeps the JSON type of what it names (`'{{ inputs.count.n }}'` passes the number, which the child's
 * params schema may require).
 */
export function renderParamValue(text: string, scope: TemplateScope): JsonValue {
  if (!text.includes('{{')) return text;
  const parsed = parseOrThrow(text);
  const [only, ...rest] = parsed.parts;
  if (only?.kind === 'name' && rest.length === 0) return resolveTemplateName(only, scope);
  return render(parsed, scope, quoteEnvValue);
}
