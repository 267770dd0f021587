import { TASK_KINDS, type TaskKind } from './model.js';

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
  | 'pool'
  | 'env'
  | 'module'
  | 'exportName'
  | 'command'
  | 'params'
  | 'defaults'
  | 'tasks';

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
export const POOL_PATTERN = '^[A-Za-z0-9_-]+$';
/** Param names are used as `params.<name>` in templates, so they are identifiers. */
export const PARAM_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
export const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
export const EXPORT_NAME_PATTERN = '^[A-Za-z_$][A-Za-z0-9_$]*$';

/** The worker pool of a task that names none. */
export const DEFAULT_POOL = 'default';
/** The function a node task module must export when the task names none. */
export const DEFAULT_EXPORT = 'run';

/** Fields a task has whatever its kind. */
const COMMON_TASK_FIELDS: FieldTable = {
  kind: { type: 'kind', required: true, description: `What runs the task: ${TASK_KINDS.join(' or ')}.` },
  description: { type: 'text', description: 'What the task does, for people.' },
  needs: {
    type: 'needs',
    description: 'Ids of the tasks that must finish before this one starts (a list, or one id).',
  },
  retries: { type: 'count', description: 'Extra attempts after the first one fails. Default 0.' },
  retry_delay: {
    type: 'duration',
    description: 'Delay before each retry: 30s, 10m, 1h, 500ms, or a number of seconds. Default 0.',
  },
  timeout: {
    type: 'timeout',
    description:
      'Time limit of one attempt: 30s, 10m, 1h, or a number of seconds; null for none. Default none.',
  },
  pool: { type: 'pool', description: `The worker pool that runs the task. Default "${DEFAULT_POOL}".` },
  env: { type: 'env', description: 'Extra environment variables (shell) or ctx.env entries (node).' },
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
  },
};

/** Every field of any kind, for a task whose kind is missing or unknown. */
export const ANY_TASK_FIELDS: FieldTable = Object.assign({}, ...Object.values(TASK_FIELDS));

/** Task fields that may be given once for all tasks under `defaults`. */
export const DEFAULTS_FIELDS: FieldTable = pick(COMMON_TASK_FIELDS, [
  'retries',
  'retry_delay',
  'timeout',
  'pool',
  'env',
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
