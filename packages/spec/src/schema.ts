import { type JsonObject, TRIGGER_RULES } from '@tributary/core';
import { CONTAINER_VALUE_SCHEMAS } from './container-fields.js';
import { DURATION_PATTERN } from './durations.js';
import {
  CONNECTION_NAME_PATTERN,
  DAG_NAME_PATTERN,
  DEFAULTS_FIELDS,
  ENV_NAME_PATTERN,
  EXPORT_NAME_PATTERN,
  type FieldTable,
  MAP_FIELDS,
  MAP_OVER_PATTERN,
  MATRIX_KEY_PATTERN,
  MAX_SQL_ROWS,
  NEED_PATTERN,
  PARAM_NAME_PATTERN,
  POOL_PATTERN,
  RESERVED_SECRET_PREFIX,
  SECRET_NAME_PATTERN,
  SENSOR_FIELDS,
  TASK_FIELDS,
  TASK_ID_PATTERN,
  TOP_FIELDS,
  type ValueType,
} from './fields.js';
import { TASK_KINDS, type TaskKind } from './model.js';
import { AFTER_FIELDS, EVENT_FIELDS, TRIGGER_VALUE_SCHEMAS } from './trigger-fields.js';

const ref = (name: string): JsonObject => ({ $ref: `#/definitions/${name}` });

/** The JSON Schema fragment of each value type (descriptions are added per field). */
const VALUE_SCHEMAS: Readonly<Record<ValueType, JsonObject>> = {
  text: { type: 'string' },
  dagName: { type: 'string', pattern: DAG_NAME_PATTERN },
  kind: { type: 'string', enum: [...TASK_KINDS] },
  needs: {
    oneOf: [
      { type: 'string', pattern: NEED_PATTERN },
      { type: 'array', items: { type: 'string', pattern: NEED_PATTERN } },
    ],
  },
  count: { type: 'integer', minimum: 0 },
  duration: ref('duration'),
  timeout: { oneOf: [ref('duration'), { type: 'null' }] },
  optionalDuration: { oneOf: [ref('duration'), { type: 'null' }] },
  limit: { oneOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }] },
  boolean: { type: 'boolean' },
  triggerRule: { type: 'string', enum: [...TRIGGER_RULES] },
  retryBackoff: { type: 'string', enum: ['fixed', 'exponential'] },
  sensorMode: { type: 'string', enum: ['poke', 'reschedule'] },
  exitCode: { type: 'integer', minimum: 1, maximum: 255 },
  sensor: { oneOf: [ref('sensor'), { type: 'null' }] },
  pool: { type: 'string', pattern: POOL_PATTERN },
  env: {
    type: 'object',
    propertyNames: { pattern: ENV_NAME_PATTERN },
    additionalProperties: { type: 'string' },
  },
  secrets: {
    type: 'array',
    items: { type: 'string', pattern: SECRET_NAME_PATTERN, not: { pattern: `^${RESERVED_SECRET_PREFIX}` } },
  },
  module: { type: 'string', minLength: 1 },
  exportName: { type: 'string', pattern: EXPORT_NAME_PATTERN },
  command: { type: 'string', minLength: 1 },
  connection: { type: 'string', pattern: CONNECTION_NAME_PATTERN },
  statement: { type: 'string', minLength: 1 },
  maxRows: { type: 'integer', minimum: 1, maximum: MAX_SQL_ROWS },
  matrix: {
    type: 'object',
    minProperties: 1,
    propertyNames: { pattern: MATRIX_KEY_PATTERN },
    additionalProperties: {
      type: 'array',
      minItems: 1,
      items: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
    },
  },
  map: ref('map'),
  mapOver: { type: 'string', pattern: MAP_OVER_PATTERN },
  dagParams: {
    type: 'object',
    propertyNames: { pattern: PARAM_NAME_PATTERN },
  },
  params: {
    type: 'object',
    propertyNames: { pattern: PARAM_NAME_PATTERN },
    additionalProperties: { $ref: 'http://json-schema.org/draft-07/schema#' },
  },
  defaults: ref('defaults'),
  tasks: {
    type: 'object',
    minProperties: 1,
    propertyNames: { pattern: TASK_ID_PATTERN },
    additionalProperties: ref('task'),
  },
  taskId: { type: 'string', pattern: TASK_ID_PATTERN },
  ...CONTAINER_VALUE_SCHEMAS,
  ...TRIGGER_VALUE_SCHEMAS,
};

/** A closed object schema (`additionalProperties: false`, so editors flag typos) from a field table. */
function objectSchema(fields: FieldTable, description: string, overrides: JsonObject = {}): JsonObject {
  const properties: JsonObject = {};
  for (const [name, field] of Object.entries(fields)) {
    properties[name] = {
      description: field.description,
      ...VALUE_SCHEMAS[field.type],
      ...(overrides[name] as JsonObject),
    };
  }
  const required = Object.entries(fields)
    .filter(([, field]) => field.required === true)
    .map(([name]) => name);
  return { type: 'object', description, required, additionalProperties: false, properties };
}

function taskSchema(kind: TaskKind): JsonObject {
  return objectSchema(TASK_FIELDS[kind], `A ${kind} task.`, { kind: { const: kind } });
}

/**
 * The JSON Schema (draft-07, which YAML editors support best) of a DAG spec file. Editors use it for
 * completion and help when a file starts with `# yaml-language-server: $schema=…/dag.schema.json`.
 * It is published as `schema/dag.schema.json` by `scripts/write-dag-schema.mjs`.
 */
export const DAG_SPEC_SCHEMA: JsonObject = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Tributary DAG',
  ...objectSchema(TOP_FIELDS, 'A Tributary DAG: its name, run parameters and tasks.'),
  definitions: {
    duration: {
      description: 'A duration: 500ms, 30s, 10m, 1h, 2d, or a whole number of seconds.',
      oneOf: [
        { type: 'string', pattern: DURATION_PATTERN },
        { type: 'integer', minimum: 0 },
      ],
    },
    sensor: objectSchema(SENSOR_FIELDS, 'Sensor settings; every one has a default.'),
    map: objectSchema(MAP_FIELDS, 'Dynamic task mapping: the list the task runs once per element of.'),
    defaults: objectSchema(DEFAULTS_FIELDS, 'Task fields that apply to every task that does not set them.'),
    eventTrigger: objectSchema(EVENT_FIELDS, 'Runs started by messages on a NATS subject.'),
    afterEntry: objectSchema(AFTER_FIELDS, 'A task of another DAG whose success starts a run of this one.'),
    task: {
      description: `A task; its kind (${TASK_KINDS.join(', ')}) decides its other fields.`,
      oneOf: TASK_KINDS.map((kind) => ref(`${kind}Task`)),
    },
    ...Object.fromEntries(TASK_KINDS.map((kind) => [`${kind}Task`, taskSchema(kind)])),
  },
};
