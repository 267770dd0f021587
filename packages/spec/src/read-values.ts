import { type JsonObject, type JsonValue, TRIGGER_RULES } from '@tributary/core';
import { OVERLAP_POLICIES } from '@tributary/schedule';
import { isMap, isSeq, type Node } from 'yaml';
import { DURATION_HINT, parseDuration } from './durations.js';
import {
  CONNECTION_NAME_PATTERN,
  DAG_NAME_PATTERN,
  ENV_NAME_PATTERN,
  EXPORT_NAME_PATTERN,
  MAP_FIELDS,
  MATRIX_KEY_PATTERN,
  MAX_SQL_ROWS,
  PARAM_NAME_PATTERN,
  POOL_PATTERN,
  SENSOR_FIELDS,
  TASK_ID_PATTERN,
  type ValueType,
} from './fields.js';
import { parseMapOver } from './map.js';
import { type MatrixValues, matrixSize } from './matrix.js';
import {
  type ContainerVolume,
  MAX_MATRIX_INSTANCES,
  type MapModel,
  type MatrixValue,
  type SensorModel,
  TASK_KINDS,
} from './model.js';
import { describeNode, scalarOf } from './node-values.js';
import { mapEntries, report, resolve, type SpecContext, type Where } from './positions.js';
import { readContainerValue } from './read-container-values.js';
import { readFields } from './read-fields.js';
import { readSecrets } from './read-secrets.js';
import { readTriggerValue } from './read-trigger-values.js';
import { didYouMean } from './suggest.js';

// Kept importable from here, where the field readers that use them were first written.
export { describeNode, scalarOf } from './node-values.js';

/** A `needs` entry with its node, so that a problem with it points at the entry itself. */
export interface NeedRef {
  id: string;
  node: Node;
}

/** What one field reader returns: the value, or undefined after reporting why there is none. */
export type FieldValue =
  | string
  | number
  | boolean
  | null
  | NeedRef[]
  | string[]
  | Record<string, string>
  | SensorModel
  | MapModel
  | MatrixValues
  | JsonObject
  | ContainerVolume[]
  | undefined;

/** Sensor defaults, as Airflow's: poke every minute for up to a week. */
const SENSOR_DEFAULTS: SensorModel = {
  mode: 'poke',
  intervalMs: 60_000,
  timeoutMs: 7 * 24 * 3_600_000,
  softFail: false,
};

function readString(
  ctx: SpecContext,
  node: Node | undefined,
  where: Where,
  nonEmpty = false,
): string | undefined {
  const value = scalarOf(node);
  if (typeof value === 'string' && (!nonEmpty || value.trim() !== '')) return value;
  const what = nonEmpty ? 'a non-empty string' : 'a string';
  const hint =
    typeof value === 'number' || typeof value === 'boolean' ? ` (quote it: '${String(value)}')` : '';
  report(ctx, node, `must be ${what} (got ${describeNode(node)})${hint}`, where);
  return undefined;
}

function readMatching(
  ctx: SpecContext,
  node: Node | undefined,
  where: Where,
  pattern: string,
  explain: (text: string) => string,
): string | undefined {
  const text = readString(ctx, node, where);
  if (text === undefined || new RegExp(pattern).test(text)) return text;
  report(ctx, node, explain(text), where);
  return undefined;
}

function readKind(ctx: SpecContext, node: Node | undefined, where: Where): string | undefined {
  const value = scalarOf(node);
  if (typeof value === 'string' && (TASK_KINDS as readonly string[]).includes(value)) return value;
  report(
    ctx,
    node,
    `unknown task kind ${describeNode(node)} (expected one of: ${TASK_KINDS.join(', ')})`,
    where,
  );
  return undefined;
}

function readNeeds(ctx: SpecContext, node: Node | undefined, where: Where): NeedRef[] | undefined {
  if (node === undefined || scalarOf(node) === null) return [];
  const items = isSeq(node) ? node.items : [node];
  const needs: NeedRef[] = [];
  for (const item of items) {
    const entry = resolve(ctx, item) ?? node;
    const id = scalarOf(entry);
    if (typeof id === 'string') needs.push({ id, node: entry });
    else report(ctx, entry, `must name a task id (got ${describeNode(entry)})`, where);
  }
  return needs;
}

function readCount(ctx: SpecContext, node: Node | undefined, where: Where): number | undefined {
  const value = scalarOf(node);
  if (Number.isInteger(value) && (value as number) >= 0) return value as number;
  report(ctx, node, `must be a non-negative integer (got ${describeNode(node)})`, where);
  return undefined;
}

function readDuration(ctx: SpecContext, node: Node | undefined, where: Where): number | undefined {
  const ms = parseDuration(scalarOf(node));
  if (ms !== undefined) return ms;
  report(ctx, node, `invalid duration ${describeNode(node)} (${DURATION_HINT})`, where);
  return undefined;
}

function readTimeout(ctx: SpecContext, node: Node | undefined, where: Where): number | null | undefined {
  // An explicit null lets one task opt out of a timeout that `defaults` sets.
  if (node === undefined || scalarOf(node) === null) return null;
  const ms = readDuration(ctx, node, where);
  if (ms !== 0) return ms;
  report(ctx, node, 'a timeout must be longer than 0 (use null for no timeout)', where);
  return undefined;
}

function readOptionalDuration(
  ctx: SpecContext,
  node: Node | undefined,
  where: Where,
): number | null | undefined {
  if (node === undefined || scalarOf(node) === null) return null;
  return readDuration(ctx, node, where);
}

function readLimit(ctx: SpecContext, node: Node | undefined, where: Where): number | null | undefined {
  if (node === undefined || scalarOf(node) === null) return null;
  const value = scalarOf(node);
  if (Number.isInteger(value) && (value as number) >= 1) return value as number;
  report(
    ctx,
    node,
    `must be a whole number of at least 1, or null for no limit (got ${describeNode(node)})`,
    where,
  );
  return undefined;
}

function readBoolean(ctx: SpecContext, node: Node | undefined, where: Where): boolean | undefined {
  const value = scalarOf(node);
  if (typeof value === 'boolean') return value;
  report(ctx, node, `must be true or false (got ${describeNode(node)})`, where);
  return undefined;
}

/** One of `choices`, or a problem that lists them (with a suggestion for a typo). */
function readChoice(
  ctx: SpecContext,
  node: Node | undefined,
  where: Where,
  what: string,
  choices: readonly string[],
): string | undefined {
  const value = scalarOf(node);
  if (typeof value === 'string' && choices.includes(value)) return value;
  const hint = typeof value === 'string' ? didYouMean(value, choices) : '';
  report(ctx, node, `unknown ${what} ${describeNode(node)}${hint}; use one of: ${choices.join(', ')}`, where);
  return undefined;
}

function readExitCode(ctx: SpecContext, node: Node | undefined, where: Where): number | undefined {
  const value = scalarOf(node);
  if (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 255) return value as number;
  report(ctx, node, `must be an exit code from 1 to 255 (got ${describeNode(node)})`, where);
  return undefined;
}

function readMaxRows(ctx: SpecContext, node: Node | undefined, where: Where): number | undefined {
  const value = scalarOf(node);
  if (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_SQL_ROWS) {
    return value as number;
  }
  report(
    ctx,
    node,
    `must be a whole number of rows from 1 to ${MAX_SQL_ROWS} (got ${describeNode(node)})`,
    where,
  );
  return undefined;
}

function readSensor(ctx: SpecContext, node: Node | undefined, where: Where): SensorModel | undefined {
  // `sensor: {}` (or `sensor:` alone) is a sensor with every default.
  if (node === undefined || scalarOf(node) === null) return { ...SENSOR_DEFAULTS };
  if (!isMap(node)) {
    report(ctx, node, `must be a mapping of sensor settings (got ${describeNode(node)})`, where);
    return undefined;
  }
  const at = (name: string): Where => ({ ...where, field: `${where.field}.${name}` });
  const entries = readFields(ctx, node, {
    prefix: where.field ?? 'sensor',
    ...(where.taskId === undefined ? {} : { taskId: where.taskId }),
    table: SENSOR_FIELDS,
    owner: node,
  });
  const sensor: SensorModel = { ...SENSOR_DEFAULTS };
  let ok = true;
  const read = <T>(name: string, type: ValueType, apply: (value: T) => void) => {
    const entry = entries.get(name);
    if (entry === undefined) return;
    const value = readValue(ctx, type, entry.value, at(name));
    if (value === undefined) ok = false;
    else apply(value as T);
  };
  read<SensorModel['mode']>('mode', 'sensorMode', (mode) => {
    sensor.mode = mode;
  });
  read<number>('interval', 'duration', (ms) => {
    sensor.intervalMs = ms;
  });
  read<number>('timeout', 'duration', (ms) => {
    sensor.timeoutMs = ms;
  });
  read<boolean>('soft_fail', 'boolean', (softFail) => {
    sensor.softFail = softFail;
  });
  if (ok && sensor.intervalMs <= 0) {
    report(
      ctx,
      entries.get('interval')?.value ?? node,
      'a sensor interval must be longer than 0',
      at('interval'),
    );
    ok = false;
  }
  return ok ? sensor : undefined;
}

function readEnv(ctx: SpecContext, node: Node | undefined, where: Where): Record<string, string> | undefined {
  if (node === undefined || scalarOf(node) === null) return {};
  if (!isMap(node)) {
    report(ctx, node, `must be a mapping of variable names to strings (got ${describeNode(node)})`, where);
    return undefined;
  }
  const env: Record<string, string> = {};
  let ok = true;
  for (const entry of mapEntries(ctx, node, 'environment variable', where)) {
    const at = { ...where, field: `${where.field}.${entry.key}` };
    if (!new RegExp(ENV_NAME_PATTERN).test(entry.key)) {
      report(
        ctx,
        entry.keyNode,
        `invalid environment variable name '${entry.key}' (use letters, digits and _)`,
        at,
      );
      ok = false;
    }
    const value = readString(ctx, entry.value ?? entry.keyNode, at);
    if (value === undefined) ok = false;
    else env[entry.key] = value;
  }
  return ok ? env : undefined;
}

function readMatrixValue(ctx: SpecContext, node: Node | undefined, where: Where): MatrixValue | undefined {
  const value = scalarOf(node);
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  // JSON, which carries the model, has no Infinity or NaN.
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  report(ctx, node, `a matrix value must be a string, number or boolean (got ${describeNode(node)})`, where);
  return undefined;
}

function readMatrixList(ctx: SpecContext, node: Node | undefined, where: Where): MatrixValue[] | undefined {
  if (!isSeq(node) || node.items.length === 0) {
    const got = isSeq(node) ? 'an empty list' : describeNode(node);
    report(ctx, node, `must be a non-empty list of values, e.g. [eu, us] (got ${got})`, where);
    return undefined;
  }
  const values: MatrixValue[] = [];
  let ok = true;
  for (const item of node.items) {
    const value = readMatrixValue(ctx, resolve(ctx, item) ?? node, where);
    if (value === undefined) ok = false;
    else values.push(value);
  }
  return ok ? values : undefined;
}

/** A task's `matrix`: keys to non-empty lists of scalars, expanding to at most MAX_MATRIX_INSTANCES. */
function readMatrix(ctx: SpecContext, node: Node | undefined, where: Where): MatrixValues | undefined {
  if (!isMap(node) || node.items.length === 0) {
    const got = isMap(node) ? 'an empty mapping' : describeNode(node);
    report(
      ctx,
      node,
      `must be a mapping of keys to lists of values, e.g. { region: [eu, us] } (got ${got})`,
      where,
    );
    return undefined;
  }
  const values: MatrixValues = {};
  let ok = true;
  for (const entry of mapEntries(ctx, node, 'matrix key', where)) {
    const at = { ...where, field: `${where.field}.${entry.key}` };
    if (!new RegExp(MATRIX_KEY_PATTERN).test(entry.key)) {
      const message = `invalid matrix key '${entry.key}' (use letters, digits and _, not starting with a digit: it is read as {{ matrix.${entry.key} }})`;
      report(ctx, entry.keyNode, message, at);
      ok = false;
    }
    const list = readMatrixList(ctx, entry.value ?? entry.keyNode, at);
    if (list === undefined) ok = false;
    else values[entry.key] = list;
  }
  if (!ok) return undefined;
  const size = matrixSize(values);
  if (size > MAX_MATRIX_INSTANCES) {
    const product = Object.values(values)
      .map((list) => list.length)
      .join(' x ');
    const task = where.taskId === undefined ? 'the task' : `task '${where.taskId}'`;
    const message = `the matrix of ${task} expands to ${size} instances (${product}), more than the ${MAX_MATRIX_INSTANCES} allowed`;
    report(ctx, node, message, where);
    return undefined;
  }
  return values;
}

/** `map.over`: where the list to map over is; which tasks it may name is checked with the whole DAG. */
function readMapOver(ctx: SpecContext, node: Node | undefined, where: Where): MapModel | undefined {
  const over = readString(ctx, node, where);
  if (over === undefined) return undefined;
  const parsed = parseMapOver(over);
  if (parsed !== undefined) return parsed;
  const message =
    `invalid map.over '${over}': write inputs.<task> then .<field> or .<index> segments, ` +
    'e.g. inputs.list_files.files or inputs.scan.batches.0';
  report(ctx, node, message, where);
  return undefined;
}

/** A task's `map`: a mapping with exactly `over`. */
function readMap(ctx: SpecContext, node: Node | undefined, where: Where): MapModel | undefined {
  if (!isMap(node)) {
    const message = `must be a mapping with 'over', e.g. { over: inputs.list_files.files } (got ${describeNode(node)})`;
    report(ctx, node, message, where);
    return undefined;
  }
  const entries = readFields(ctx, node, {
    prefix: where.field ?? 'map',
    ...(where.taskId === undefined ? {} : { taskId: where.taskId }),
    table: MAP_FIELDS,
    owner: node,
  });
  const entry = entries.get('over');
  const over = entry && readMapOver(ctx, entry.value, { ...where, field: `${where.field}.over` });
  // Unknown and duplicate keys were reported: a map with them compiles to nothing.
  return entries.size === node.items.length ? over : undefined;
}

/** A YAML value as JSON, or undefined (reported) when it holds something JSON cannot (NaN, Infinity). */
function readJsonValue(ctx: SpecContext, node: Node | undefined, where: Where): JsonValue | undefined {
  if (node === undefined) return null;
  if (isMap(node) || isSeq(node)) {
    const value: unknown = node.toJS(ctx.doc);
    if (isJson(value)) return value;
  } else {
    const value = scalarOf(node);
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  report(ctx, node, `must be a JSON value: a string, finite number, boolean, null, list or mapping`, where);
  return undefined;
}

function isJson(value: unknown): value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJson);
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).every(isJson);
}

/** A dag task's `params`: parameter names (identifiers) to JSON values. */
function readDagParams(ctx: SpecContext, node: Node | undefined, where: Where): JsonObject | undefined {
  if (node === undefined || scalarOf(node) === null) return {};
  if (!isMap(node)) {
    report(ctx, node, `must be a mapping of parameter names to values (got ${describeNode(node)})`, where);
    return undefined;
  }
  const params: JsonObject = {};
  let ok = true;
  for (const entry of mapEntries(ctx, node, 'parameter', where)) {
    const at = { ...where, field: `${where.field}.${entry.key}` };
    if (!new RegExp(PARAM_NAME_PATTERN).test(entry.key)) {
      report(ctx, entry.keyNode, `invalid parameter name '${entry.key}' (use letters, digits and _)`, at);
      ok = false;
    }
    const value = readJsonValue(ctx, entry.value, at);
    if (value === undefined) ok = false;
    else params[entry.key] = value;
  }
  return ok ? params : undefined;
}

/**
 * Reads one field value of a simple type, reporting every problem with it. Mapping-valued
 * sections (`params`, `defaults`, `tasks`) have their own readers.
 */
export function readValue(
  ctx: SpecContext,
  type: ValueType,
  node: Node | undefined,
  where: Where,
): FieldValue {
  switch (type) {
    case 'text':
      return readString(ctx, node, where);
    case 'dagName':
      return readMatching(ctx, node, where, DAG_NAME_PATTERN, (name) => {
        return `invalid DAG name '${name}' (use lower-case letters, digits, _ and -, starting with a letter)`;
      });
    case 'kind':
      return readKind(ctx, node, where);
    case 'needs':
      return readNeeds(ctx, node, where);
    case 'count':
      return readCount(ctx, node, where);
    case 'duration':
      return readDuration(ctx, node, where);
    case 'timeout':
      return readTimeout(ctx, node, where);
    case 'optionalDuration':
      return readOptionalDuration(ctx, node, where);
    case 'limit':
      return readLimit(ctx, node, where);
    case 'boolean':
      return readBoolean(ctx, node, where);
    case 'triggerRule':
      return readChoice(ctx, node, where, 'trigger rule', TRIGGER_RULES);
    case 'retryBackoff':
      return readChoice(ctx, node, where, 'retry backoff', ['fixed', 'exponential']);
    case 'sensorMode':
      return readChoice(ctx, node, where, 'sensor mode', ['poke', 'reschedule']);
    case 'exitCode':
      return readExitCode(ctx, node, where);
    case 'sensor':
      return readSensor(ctx, node, where);
    case 'pool':
      return readMatching(ctx, node, where, POOL_PATTERN, (pool) => {
        return `invalid pool name '${pool}' (use letters, digits, _ and -)`;
      });
    case 'env':
      return readEnv(ctx, node, where);
    case 'secrets':
      return readSecrets(ctx, node, where);
    case 'exportName':
      return readMatching(ctx, node, where, EXPORT_NAME_PATTERN, (name) => {
        return `invalid export name '${name}' (must be a JavaScript identifier)`;
      });
    case 'connection':
      return readMatching(ctx, node, where, CONNECTION_NAME_PATTERN, (name) => {
        return `invalid connection name '${name}' (use letters, digits and _, starting with a letter)`;
      });
    case 'maxRows':
      return readMaxRows(ctx, node, where);
    case 'matrix':
      return readMatrix(ctx, node, where);
    case 'map':
      return readMap(ctx, node, where);
    case 'mapOver':
      return readMapOver(ctx, node, where);
    case 'dagParams':
      return readDagParams(ctx, node, where);
    case 'module':
    case 'command':
    case 'statement':
      return readString(ctx, node, where, true);
    case 'image':
    case 'argv':
    case 'containerPath':
    case 'cpu':
    case 'memory':
    case 'pullPolicy':
    case 'network':
    case 'containerUser':
    case 'volumes':
      return readContainerValue(ctx, type, node, where);
    case 'taskId':
      return readMatching(ctx, node, where, TASK_ID_PATTERN, (id) => {
        return `invalid task id '${id}' (use letters, digits, _ and -, starting with a letter)`;
      });
    case 'overlap':
      return readChoice(ctx, node, where, 'overlap policy', OVERLAP_POLICIES);
    case 'cron':
    case 'timezone':
    case 'dateTime':
    case 'natsSubject':
    case 'dedupeKey':
      return readTriggerValue(ctx, type, node, where);
    default:
      throw new Error(`field type '${type}' has its own reader`);
  }
}
