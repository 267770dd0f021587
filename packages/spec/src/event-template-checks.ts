import type { Node } from 'yaml';
import { report, type SpecContext, type Where } from './positions.js';
import { didYouMean } from './suggest.js';
import {
  EVENT_TEMPLATE_FIELDS,
  EVENT_TEMPLATE_HINT,
  parseTemplate,
  TEMPLATE_ROOTS,
  type TemplateName,
} from './templates.js';

const FIELDS_HINT = 'event.subject, event.data or event.headers.<name>';

/** Why one name of an event trigger's template names nothing in the message, or undefined. */
function eventNameProblem(name: TemplateName): string | undefined {
  const [root, field, ...rest] = name.path;
  if (root !== 'event') {
    const word = String(root);
    // A task's names (params, run, inputs, ...) do not exist yet: the message is what starts the run.
    if (Object.hasOwn(TEMPLATE_ROOTS, word)) {
      return `${name.source}: an event template reads only the message that starts the run (${EVENT_TEMPLATE_HINT})`;
    }
    return `unknown name '${word}' in ${name.source}${didYouMean(word, ['event'])} (${EVENT_TEMPLATE_HINT})`;
  }
  if (typeof field !== 'string') return `${name.source}: name what to read: ${FIELDS_HINT}`;
  if (!(EVENT_TEMPLATE_FIELDS as readonly string[]).includes(field)) {
    return `unknown name 'event.${field}' in ${name.source}${didYouMean(field, EVENT_TEMPLATE_FIELDS)} (use ${FIELDS_HINT})`;
  }
  if (field === 'subject' && rest.length > 0) {
    return `${name.source}: event.subject is a string and has no fields`;
  }
  if (field === 'headers') {
    if (typeof rest[0] !== 'string') return `${name.source}: name a header, as event.headers.<name>`;
    if (rest.length > 1) return `${name.source}: a header is a string and has no fields`;
  }
  return undefined;
}

/**
 * Reports every problem with the templates of one event-trigger value (an `on.params` string or
 * `on.dedupe_key`): syntax, and names other than `event.subject`, `event.data[...]` and
 * `event.headers.<name>`. Returns whether the value holds any template, well-formed or not.
 */
export function checkEventTemplate(ctx: SpecContext, value: string, node: Node, where: Where): boolean {
  const { parts, errors } = parseTemplate(value, EVENT_TEMPLATE_HINT);
  for (const error of errors) report(ctx, node, error.message, where);
  const names = parts.filter((part): part is TemplateName => part.kind === 'name');
  for (const name of names) {
    const problem = eventNameProblem(name);
    if (problem !== undefined) report(ctx, node, problem, where);
  }
  return names.length + errors.length > 0;
}
