import type { JsonObject } from '@tributary/core';
import { DEFAULT_TRIGGER_RULE } from '@tributary/core';
import { DEFAULT_EXPORT, DEFAULT_POOL } from './fields.js';
import {
  type DagModel,
  DEFAULT_SKIP_EXIT_CODE,
  DEFAULT_SQL_MAX_ROWS,
  type RetryBackoff,
  type SensorModel,
  type TaskModel,
  type TaskModelBase,
} from './model.js';
import type { RawFields, RawTask } from './read-tasks.js';
import type { NeedRef } from './read-values.js';

/** What {@link buildModel} needs: a spec that was read without any problem. */
export interface ReadSpec {
  name: string;
  description?: string;
  paramsSchema: JsonObject;
  dagrunTimeoutMs: number | null;
  maxActiveTasks: number | null;
  maxActiveRuns: number | null;
  defaults: RawFields;
  tasks: RawTask[];
}

/** A field of the task, else of `defaults`, else `fallback`. A task's explicit `timeout: null` wins. */
function pickField<T>(task: RawFields, defaults: RawFields, name: string, fallback: T): T {
  if (name in task) return task[name] as T;
  if (name in defaults) return defaults[name] as T;
  return fallback;
}

function buildTask(task: RawTask, defaults: RawFields): TaskModel {
  const { fields } = task;
  const needs = (fields.needs as NeedRef[] | undefined) ?? [];
  const retryBackoff = pickField<RetryBackoff>(fields, defaults, 'retry_backoff', 'fixed');
  const base: TaskModelBase = {
    id: task.id,
    kind: fields.kind as TaskModel['kind'],
    needs: [...new Set(needs.map((need) => need.id))],
    retries: pickField(fields, defaults, 'retries', 0),
    retryDelayMs: pickField(fields, defaults, 'retry_delay', 0),
    retryBackoff,
    maxRetryDelayMs: pickField<number | null>(fields, defaults, 'max_retry_delay', null),
    retryJitter: pickField(fields, defaults, 'retry_jitter', retryBackoff === 'exponential'),
    triggerRule: pickField(fields, defaults, 'trigger_rule', DEFAULT_TRIGGER_RULE),
    branch: (fields.branch as boolean | undefined) ?? false,
    sensor: (fields.sensor as SensorModel | undefined) ?? null,
    timeoutMs: pickField<number | null>(fields, defaults, 'timeout', null),
    pool: pickField(fields, defaults, 'pool', DEFAULT_POOL),
    // Task variables override default ones of the same name; the others are kept.
    env: {
      ...(defaults.env as Record<string, string> | undefined),
      ...(fields.env as Record<string, string> | undefined),
    },
  };
  if (typeof fields.description === 'string') base.description = fields.description;
  if (base.kind === 'sql') {
    return {
      ...base,
      // A sql task starts no process: `defaults.env` does not reach it.
      env: {},
      kind: 'sql',
      connection: fields.connection as string,
      statement: fields.statement as string,
      maxRows: (fields.max_rows as number | undefined) ?? DEFAULT_SQL_MAX_ROWS,
    };
  }
  if (base.kind === 'node') {
    return {
      ...base,
      kind: 'node',
      module: fields.module as string,
      export: (fields.export as string) ?? DEFAULT_EXPORT,
    };
  }
  return {
    ...base,
    kind: 'shell',
    command: fields.command as string,
    skipExitCode: (fields.skip_exit_code as number | undefined) ?? DEFAULT_SKIP_EXIT_CODE,
  };
}

/** Compiles a problem-free spec into its model: defaults applied, durations in ms, tasks in order. */
export function buildModel(spec: ReadSpec, specFile: string): DagModel {
  const model: DagModel = {
    name: spec.name,
    paramsSchema: spec.paramsSchema,
    tasks: spec.tasks.map((task) => buildTask(task, spec.defaults)),
    specFile,
    dagrunTimeoutMs: spec.dagrunTimeoutMs,
    maxActiveTasks: spec.maxActiveTasks,
    maxActiveRuns: spec.maxActiveRuns,
  };
  if (spec.description !== undefined) model.description = spec.description;
  return model;
}
