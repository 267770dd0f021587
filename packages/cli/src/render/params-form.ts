import type { JsonObject, JsonValue } from '@tributary/core';
import { yamlBlock, yamlFlow, yamlKey } from './yaml-text.js';

type Schema = Record<string, unknown>;

/** One key of the form: a param, or a property of an object param. */
interface Slot {
  name: string;
  schema: Schema;
  required: boolean;
  /** What the key starts as: the param's default, or its part of an enclosing default. */
  value?: JsonValue;
}

/** What the form's header says about where it came from. */
export interface ParamsFormOptions {
  /** The DAG's name. */
  dag: string;
  /** The DAG folder or spec file as the user gave it, for the `tributary run` hint. */
  path: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Schema keywords worth a mention, in the order shown. */
const CONSTRAINTS = [
  'format',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
] as const;

/** A flow value for a comment, or undefined when it would not fit on a comment line. */
function shortFlow(value: unknown): string | undefined {
  const text = yamlFlow(value);
  return text.length <= 60 ? text : undefined;
}

/** The type of values a schema takes, in words: `integer`, `string or null`, `array of string`. */
function typeText(schema: Schema): string | undefined {
  const { type } = schema;
  if (Array.isArray(type)) return type.map(String).join(' or ');
  if (type === 'array' && isObject(schema.items)) {
    const items = typeText(schema.items);
    return items === undefined ? 'array' : `array of ${items}`;
  }
  if (typeof type === 'string') return type;
  if (isObject(schema.properties)) return 'object';
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives)) {
    const types = alternatives.map((branch) => (isObject(branch) ? typeText(branch) : undefined));
    if (types.every((item) => item !== undefined)) return types.join(' or ');
  }
  return undefined;
}

/** The facts line of a slot: `type: integer; minimum: 1; optional, default: 3`. */
function factsLine(slot: Slot): string {
  const { schema } = slot;
  const facts: string[] = [];
  const type = typeText(schema);
  if (type !== undefined) facts.push(`type: ${type}`);
  if ('const' in schema) facts.push(`must be: ${yamlFlow(schema.const)}`);
  if (Array.isArray(schema.enum))
    facts.push(`one of: ${schema.enum.map((item) => yamlFlow(item)).join(', ')}`);
  for (const keyword of CONSTRAINTS) {
    if (keyword in schema) facts.push(`${keyword}: ${yamlFlow(schema[keyword])}`);
  }
  if (Array.isArray(schema.examples) && schema.examples.length > 0) {
    const examples = shortFlow(schema.examples);
    if (examples !== undefined) facts.push(`examples: ${examples.replace(/^\[ (.*) \]$/, '$1')}`);
  }
  if (slot.required) facts.push('required');
  else if ('default' in schema) {
    const fallback = shortFlow(schema.default);
    facts.push(fallback === undefined ? 'optional, has a default' : `optional, default: ${fallback}`);
  } else facts.push('optional');
  return facts.join('; ');
}

/** The comment lines above a slot's key: title, description, facts. */
function commentLines(slot: Slot): string[] {
  const texts = [slot.schema.title, slot.schema.description].filter(
    (text): text is string => typeof text === 'string' && text.trim() !== '',
  );
  const lines = texts.flatMap((text) => text.trimEnd().split('\n'));
  return [...lines, factsLine(slot)].map((line) => `# ${line}`.trimEnd());
}

/** The slots of an object schema's properties (then any extra keys of its value), in order. */
function propertySlots(schema: Schema, value: JsonValue | undefined): Slot[] {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  const given = isObject(value) ? (value as JsonObject) : {};
  const slots: Slot[] = Object.entries(properties).map(([name, child]) => {
    const property: Schema = isObject(child) ? child : {};
    const start = given[name] ?? (property.default as JsonValue | undefined);
    return {
      name,
      schema: property,
      required: required.has(name),
      ...(start === undefined ? {} : { value: start }),
    };
  });
  // A default may hold keys the properties do not list (when additionalProperties allows them).
  const extra = isObject(schema.additionalProperties) ? schema.additionalProperties : {};
  for (const [name, start] of Object.entries(given)) {
    if (!(name in properties) && start !== undefined)
      slots.push({ name, schema: extra, required: false, value: start });
  }
  return slots;
}

/** Comments out a rendered line, keeping its indentation; comment lines stay as they are. */
function commentOut(line: string, indent: string): string {
  return line.trimStart().startsWith('#') ? line : `${indent}# ${line.slice(indent.length)}`;
}

/** Whether a line sets a key (is neither a comment nor blank). */
const isActive = (line: string): boolean => line.trim() !== '' && !line.trimStart().startsWith('#');

/** The lines of one key, its comments first, indented `depth` levels. */
function slotLines(slot: Slot, depth: number): string[] {
  const indent = '  '.repeat(depth);
  const key = yamlKey(slot.name);
  const comments = commentLines(slot).map((line) => `${indent}${line}`);
  const nested = isObject(slot.schema.properties) && Object.keys(slot.schema.properties).length > 0;
  let body: string[];
  if (nested && (slot.value === undefined || isObject(slot.value))) {
    const children = propertySlots(slot.schema, slot.value).flatMap((child) => slotLines(child, depth + 1));
    // With every property optional and unset, `key:` alone would read as null: start from an empty map.
    body = children.some(isActive)
      ? [`${indent}${key}:`, ...children]
      : [`${indent}${key}: {}  # to set a key below, uncomment it and remove the {}`, ...children];
  } else if (slot.value !== undefined) {
    // Rendered as a one-key mapping so that block strings, lists and maps get their indentation right.
    body = yamlBlock({ [slot.name]: slot.value })
      .split('\n')
      .map((line) => (line === '' ? line : `${indent}${line}`));
  } else {
    body = [slot.required ? `${indent}${key}: null  # required` : `${indent}${key}:`];
  }
  // An optional key with nothing to start from is left commented out: present, it would need a value.
  if (!slot.required && slot.value === undefined) body = body.map((line) => commentOut(line, indent));
  return [...comments, ...body];
}

/**
 * Renders a DAG's params schema as a YAML form to fill in: one key per param in declaration order,
 * set to its default or to `null  # required`, under comments giving its description, type,
 * choices, limits and whether it is required. Object params become nested mappings commented the
 * same way; optional properties without a default are commented out. The filled form is meant for
 * `tributary run <dag> --params-file <form>`.
 */
export function renderParamsForm(paramsSchema: JsonObject, options: ParamsFormOptions): string {
  const header = [
    `# Run parameters of DAG '${options.dag}'.`,
    '# Fill in every value marked "required" (and change any other), then run:',
    `#   tributary run ${options.path} --params-file <this file>`,
  ];
  const slots = propertySlots(paramsSchema, undefined);
  if (slots.length === 0) return `${[...header, '# This DAG takes no params.', '{}'].join('\n')}\n`;
  const blocks = slots.map((slot) => slotLines(slot, 0).join('\n'));
  return `${[header.join('\n'), ...blocks].join('\n\n')}\n`;
}
