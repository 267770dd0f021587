import { TRIGGER_RULES } from '@tributary/core';
import { CONTAINER_ONLY_FIELDS, type ContainerValueType } from './container-fields.js';
import {
  DEFAULT_SQL_MAX_ROWS,
  MAX_MATRIX_INSTANCES,
  SENSOR_NOT_YET_EXIT_CODE,
  TASK_KINDS,
  type TaskKind,
} from './model.js';
import { TRIGGER_TOP_FIELDS, type TriggerValueType } from './trigger-fields.js';

/**
 * The shape of every field a spec may hold, declared once: the structure checks read values by
 * `type`, and the published JSON Schema is generated from the same tables, so the two cannot drift.
 */
export type ValueType =
  | 'text'
  | 'dagName'
  | 'kind'
  | 'needs'
  | 'count'
  | 'duration'
  | 'timeout'
  | 'optionalDuration'
  | 'limit'
  | 'boolean'
  | 'triggerRule'
  | 'retryBackoff'
  | 'exitCode'
  | 'sensor'
  | 'sensorMode'
  | 'pool'
  | 'env'
  | 'secrets'
  | 'module'
  | 'exportName'
  | 'command'
  | 'connection'
  | 'statement'
  | 'maxRows'
  | 'matrix'
  | 'map'
  | 'mapOver'
  | 'dagParams'
  | 'params'
  | 'defaults'
  | 'tasks'
  | 'taskId'
  | ContainerValueType
  | TriggerValueType;

/** One field of a mapping in the spec. */
export interface FieldSpec {
  type: ValueType;
  /** Help shown by editors and used in the JSON Schema. */
  description: string;
  required?: boolean;
}

export type FieldTable = Readonly<Record<string, FieldSpec>>;

/** `daily_sales`: lower-case letters, digits, `_` and `-`, starting with a letter. */
export const DAG_NAME_PATTERN = '^[a-z][a-z0-9_-]*$';
/** `extract`, `loadOrders`, `step-2`. */
export const TASK_ID_PATTERN = '^[A-Za-z][A-Za-z0-9_-]*$';
/**
 * A `needs` entry: a task id, or one instance of a matrix task (`load[1]`), which only expansion
 * creates.
 */
export const NEED_PATTERN = '^[A-Za-z][A-Za-z0-9_-]*(\\[(0|[1-9][0-9]*)\\])?$';
/** Matrix keys are read as `matrix.<key>` in templates, so they are identifiers. */
export const MATRIX_KEY_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
/**
 * `map.over`: `inputs.<id>` (a task id, or one matrix instance, `load[0]`) then `.<field>` segments,
 * each a name or a list index (`inputs.list_files.files`, `inputs.scan.batches.0.keys`).
 */
export const MAP_OVER_PATTERN =
  '^inputs\\.[A-Za-z][A-Za-z0-9_-]*(\\[(0|[1-9][0-9]*)\\])?(\\.([A-Za-z_][A-Za-z0-9_-]*|0|[1-9][0-9]*))*$';
export const POOL_PATTERN = '^[A-Za-z0-9_-]+$';
/** Param names are used as `params.<name>` in templates, so they are identifiers. */
export const PARAM_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
export const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
/**
 * `API_TOKEN`: a secret's name is the environment variable a shell task reads it from, and part of the
 * worker's `TRIBUTARY_SECRET_<NAME>`, so it is an upper-case identifier (one spelling per secret).
 */
export const SECRET_NAME_PATTERN = '^[A-Z_][A-Z0-9_]*$';
/** Secret names a task may not use: the `TRIBUTARY_*` variables the executor sets would hide them. */
export const RESERVED_SECRET_PREFIX = 'TRIBUTARY_';
export const EXPORT_NAME_PATTERN = '^[A-Za-z_$][A-Za-z0-9_$]*$';
/**
 * `warehouse`, `crm_replica`: a connection name becomes part of an environment variable name
 * (`TRIBUTARY_CONNECTION_WAREHOUSE`), so it is an identifier without `-`.
 */
export const CONNECTION_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_]*$';
/**
 * The most rows a SQL task may keep in its output. Outputs travel in messages and are stored as JSON;
 * a bigger result belongs in a table or a file, written by the statement itself.
 */
export const MAX_SQL_ROWS = 1_000_000;

/** The worker pool of a task that names none. */
export const DEFAULT_POOL = 'default';
/** The function a node task module must export when the task names none. */
export const DEFAULT_EXPORT = 'run';

/** Fields a task has whatever its kind. */
const COMMON_TASK_FIELDS: FieldTable = {
  kind: { type: 'kind', required: true, description: `What runs the task: ${TASK_KINDS.join(', ')}.` },
  description: { type: 'text', description: 'What the task does, for people.' },
  needs: {
    type: 'needs',
    description: 'Ids of the tasks that must finish before this one starts (a list, or one id).',
  },
  retries: { type: 'count', description: 'Extra attempts after the first one fails. Default 0.' },
  retry_delay: {
    type: 'duration',
    description: 'Delay before the first retry: 30s, 10m, 1h, 500ms, or a number of seconds. Default 0.',
  },
  retry_backoff: {
    type: 'retryBackoff',
    description: 'fixed (every retry waits retry_delay) or exponential (the delay doubles at each retry).',
  },
  max_retry_delay: {
    type: 'optionalDuration',
    description: 'Upper bound of a retry delay, e.g. 10m; null for none. Default none.',
  },
  retry_jitter: {
    type: 'boolean',
    description:
      'Spread each retry delay randomly over its upper half, so that failed tasks do not retry in step. Default true with exponential backoff, else false.',
  },
  trigger_rule: {
    type: 'triggerRule',
    description: `When the task runs, judged from how its upstream tasks ended (Airflow's rules): ${TRIGGER_RULES.join(', ')}. Default all_success.`,
  },
  branch: {
    type: 'boolean',
    description:
      'The task returns the id (or list of ids) of the downstream tasks to follow; its other direct downstream tasks are skipped.',
  },
  sensor: {
    type: 'sensor',
    description: `Makes the task a sensor: it is poked until it says its condition holds (a node task returns anything but false; a shell task exits 0, or ${SENSOR_NOT_YET_EXIT_CODE} for "not yet").`,
  },
  timeout: {
    type: 'timeout',
    description:
      'Time limit of one attempt: 30s, 10m, 1h, or a number of seconds; null for none. Default none.',
  },
  queue_timeout: {
    type: 'timeout',
    description:
      'How long a dispatched attempt may wait for a worker of its pool to start it: 30s, 10m, 1h, or a ' +
      'number of seconds; null for none. When it passes, the task fails with QueueTimeout and is not ' +
      'retried (another try would wait in the same queue). Default none.',
  },
  heartbeat_timeout: {
    type: 'timeout',
    description:
      'How long a running task may go without a heartbeat from its worker before it is declared lost ' +
      "(and retried per its policy), e.g. 2m; null for the coordinator's heartbeat_timeout. Default null.",
  },
  pool: { type: 'pool', description: `The worker pool that runs the task. Default "${DEFAULT_POOL}".` },
  env: {
    type: 'env',
    description: 'Extra environment variables (shell, container) or ctx.env entries (node).',
  },
  secrets: {
    type: 'secrets',
    description:
      'Names of the secrets the task reads (upper-case letters, digits and _), e.g. [API_TOKEN]. The ' +
      'values come from where the task runs (TRIBUTARY_SECRET_<NAME> or the secrets file), never from ' +
      'the DAG; a shell task gets each as an environment variable of its name, a node task as ' +
      "ctx.secrets.<NAME>. Their values are replaced by *** in the task's logs and error. Under " +
      'defaults, the names are added to those of every node and shell task.',
  },
  matrix: {
    type: 'matrix',
    description:
      'Runs the task once per combination of these values (a mapping of keys to non-empty lists of ' +
      'strings, numbers or booleans; the first key varies slowest). The instances are load[0], ' +
      'load[1], ...; each reads its values as {{ matrix.<key> }}. needs: [load] waits for all of them. ' +
      `At most ${MAX_MATRIX_INSTANCES} instances; not on a branch task.`,
  },
  map: {
    type: 'map',
    description:
      "Dynamic fan-out (Airflow's dynamic task mapping): { over: inputs.<task>.<field>... } names a list in " +
      'the output of a task in needs; at run time the task runs once per element, as process[0], ' +
      'process[1], ..., each reading its element as {{ map.item }} and its index as {{ map.index }}. ' +
      "A task that needs it receives the list of the instances' outputs, in order. Not with matrix, " +
      'not on a branch task.',
  },
};

/**
 * Fields of a sql task. It has no `env` or `secrets` (no process starts, and its connection is its only
 * credential), and it cannot be a sensor or a branch: its output is rows, which say neither "not yet"
 * nor which task to follow.
 */
const SQL_TASK_FIELDS: FieldTable = {
  ...omit(COMMON_TASK_FIELDS, ['env', 'secrets', 'sensor', 'branch']),
  connection: {
    type: 'connection',
    required: true,
    description:
      'The Postgres connection to run the statement on, by name (letters, digits and _), e.g. warehouse. ' +
      'The worker resolves it to a URL from TRIBUTARY_CONNECTION_<NAME> or its secrets file; ' +
      'the URL is never written in the DAG.',
  },
  statement: {
    type: 'statement',
    required: true,
    description:
      'One SQL statement. Each {{ name }} template becomes a bind parameter ($1, $2, ...), so a value is ' +
      'never read as SQL; write templates where a value goes, not inside quotes or comments.',
  },
  max_rows: {
    type: 'maxRows',
    description: `The most rows the output keeps (1 to ${MAX_SQL_ROWS}); the statement is not read further and the output says truncated. Default ${DEFAULT_SQL_MAX_ROWS}.`,
  },
};

/**
 * Fields of a dag task. Like a sql task it starts no process (no `env`, no `secrets`) and its output, the
 * child run's id and state, says neither "not yet" nor which task to follow (no `sensor`, no `branch`).
 */
const DAG_TASK_FIELDS: FieldTable = {
  ...omit(COMMON_TASK_FIELDS, ['env', 'secrets', 'sensor', 'branch']),
  dag: {
    type: 'dagName',
    required: true,
    description: 'The name of the DAG to trigger (its spec name, not its folder).',
  },
  params: {
    type: 'dagParams',
    description:
      "The child run's parameters, checked against its params schema. String values may hold templates " +
      '({{ params.x }}, {{ inputs.extract.path }}, ...), rendered like env values; a value that is one ' +
      'template alone keeps the type of what it names.',
  },
  wait: {
    type: 'boolean',
    description:
      'Wait for the child run: the task succeeds when it succeeds and fails otherwise. With false the task ' +
      'succeeds once the run is triggered. Default true.',
  },
};

/** Fields of each task kind, common ones included. */
export const TASK_FIELDS: Readonly<Record<TaskKind, FieldTable>> = {
  node: {
    ...COMMON_TASK_FIELDS,
    module: {
      type: 'module',
      required: true,
      description: 'JavaScript or TypeScript module, relative to the DAG folder, e.g. ./transform.ts.',
    },
    export: {
      type: 'exportName',
      description: `The exported function to call. Default "${DEFAULT_EXPORT}".`,
    },
  },
  shell: {
    ...COMMON_TASK_FIELDS,
    command: {
      type: 'command',
      required: true,
      description: 'Command run with /bin/sh -c in the DAG folder.',
    },
    skip_exit_code: {
      type: 'exitCode',
      description: 'The exit code that ends the task skipped instead of failed. Default 99.',
    },
  },
  sql: SQL_TASK_FIELDS,
  dag: DAG_TASK_FIELDS,
  // Everything a shell task has; its command is a list (no shell), and it has the container's own fields.
  container: { ...COMMON_TASK_FIELDS, ...CONTAINER_ONLY_FIELDS },
};

/** Fields of a task's `sensor` mapping. */
export const SENSOR_FIELDS: FieldTable = {
  mode: {
    type: 'sensorMode',
    description:
      'poke keeps the worker slot between pokes; reschedule frees it and is poked again later. Default poke.',
  },
  interval: { type: 'duration', description: 'Time between pokes. Default 60s.' },
  timeout: {
    type: 'duration',
    description: 'How long the sensor may wait in all, from its first poke. Default 7 days.',
  },
  soft_fail: {
    type: 'boolean',
    description: 'On timeout the task ends skipped instead of failed. Default false.',
  },
};

/** Fields of a task's `map` mapping. */
export const MAP_FIELDS: FieldTable = {
  over: {
    type: 'mapOver',
    required: true,
    description:
      'The list to map over: inputs.<task> then .<field> or .<index> segments, e.g. ' +
      'inputs.list_files.files; <task> must be in needs and not a matrix task (one of its instances, ' +
      'load[0], is fine).',
  },
};

/**
 * Every field of any kind, for a task whose kind is missing or unknown. Where two kinds share a name
 * (`command`), the first kind's field is kept: a shell task's string, not a container task's list.
 */
export const ANY_TASK_FIELDS: FieldTable = Object.assign({}, ...Object.values(TASK_FIELDS).reverse());

/** Task fields that may be given once for all tasks under `defaults`. */
export const DEFAULTS_FIELDS: FieldTable = pick(COMMON_TASK_FIELDS, [
  'retries',
  'retry_delay',
  'retry_backoff',
  'max_retry_delay',
  'retry_jitter',
  'trigger_rule',
  'timeout',
  'queue_timeout',
  'heartbeat_timeout',
  'pool',
  'env',
  'secrets',
]);

/** The top level of a spec. */
export const TOP_FIELDS: FieldTable = {
  name: {
    type: 'dagName',
    required: true,
    description: 'The DAG name: lower-case letters, digits, _ and -, starting with a letter.',
  },
  description: { type: 'text', description: 'What the DAG does, for people.' },
  params: {
    type: 'params',
    description:
      'Run parameters: a JSON Schema per parameter. A parameter is required unless it has a default.',
  },
  max_active_tasks: {
    type: 'limit',
    description:
      'How many task instances of this DAG may be queued or running at once, across all its runs; ' +
      'null for no limit. Default none.',
  },
  max_active_tasks_per_run: {
    type: 'limit',
    description:
      'How many task instances of one run may be queued or running at once; null for no limit. Default none.',
  },
  max_active_runs: {
    type: 'limit',
    description:
      'How many runs of this DAG may run at once; later runs wait in the queued state. Default none.',
  },
  dagrun_timeout: {
    type: 'optionalDuration',
    description:
      'Time limit of a whole run; when it passes, unfinished tasks are cancelled and the run fails.',
  },
  ...TRIGGER_TOP_FIELDS,
  defaults: { type: 'defaults', description: 'Task fields that apply to every task that does not set them.' },
  tasks: {
    type: 'tasks',
    required: true,
    description: 'The tasks, by id. Order does not matter; needs does.',
  },
};

function pick(table: FieldTable, names: readonly string[]): FieldTable {
  return Object.fromEntries(names.map((name) => [name, table[name] as FieldSpec]));
}

function omit(table: FieldTable, names: readonly string[]): FieldTable {
  return Object.fromEntries(Object.entries(table).filter(([name]) => !names.includes(name)));
}
