import type { JsonObject } from '@tributary/core';
import { DEFAULT_EXPORT } from './fields.js';
import { expandMatrix, type MatrixValues, matrixInstanceId } from './matrix.js';
import {
  type ContainerNetwork,
  type ContainerPullPolicy,
  type ContainerTaskModel,
  type ContainerVolume,
  type DagModel,
  DEFAULT_SKIP_EXIT_CODE,
  DEFAULT_SQL_MAX_ROWS,
  type MapModel,
  type RetryBackoff,
  type SensorModel,
  type TaskModel,
  type TaskModelBase,
} from './model.js';
import type { RawFields, RawTask } from './read-tasks.js';
import type { ReadTriggers } from './read-triggers.js';
import type { NeedRef } from './read-values.js';
import { taskDefaults } from './task-defaults.js';

/** What {@link buildModel} needs: a spec that was read without any problem. */
export interface ReadSpec extends ReadTriggers {
  name: string;
  description?: string;
  paramsSchema: JsonObject;
  dagrunTimeoutMs: number | null;
  maxActiveTasks: number | null;
  maxActiveTasksPerRun: number | null;
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
  const fallback = taskDefaults();
  const retryBackoff = pickField<RetryBackoff>(fields, defaults, 'retry_backoff', fallback.retryBackoff);
  const base: TaskModelBase = {
    id: task.id,
    kind: fields.kind as TaskModel['kind'],
    needs: [...new Set(needs.map((need) => need.id))],
    retries: pickField(fields, defaults, 'retries', fallback.retries),
    retryDelayMs: pickField(fields, defaults, 'retry_delay', fallback.retryDelayMs),
    retryBackoff,
    maxRetryDelayMs: pickField(fields, defaults, 'max_retry_delay', fallback.maxRetryDelayMs),
    retryJitter: pickField(
      fields,
      defaults,
      'retry_jitter',
      retryBackoff === 'exponential' || fallback.retryJitter,
    ),
    triggerRule: pickField(fields, defaults, 'trigger_rule', fallback.triggerRule),
    branch: (fields.branch as boolean | undefined) ?? fallback.branch,
    sensor: (fields.sensor as SensorModel | undefined) ?? fallback.sensor,
    timeoutMs: pickField(fields, defaults, 'timeout', fallback.timeoutMs),
    queueTimeoutMs: pickField(fields, defaults, 'queue_timeout', fallback.queueTimeoutMs),
    heartbeatTimeoutMs: pickField(fields, defaults, 'heartbeat_timeout', fallback.heartbeatTimeoutMs),
    pool: pickField(fields, defaults, 'pool', fallback.pool),
    // Task variables override default ones of the same name; the others are kept.
    env: {
      ...(defaults.env as Record<string, string> | undefined),
      ...(fields.env as Record<string, string> | undefined),
    },
    // Unlike env, a task's list adds to the defaults' list: naming one more secret must not drop the
    // shared ones.
    secrets: [
      ...new Set([
        ...((defaults.secrets as string[] | undefined) ?? []),
        ...((fields.secrets as string[] | undefined) ?? []),
      ]),
    ],
    map: (fields.map as MapModel | undefined) ?? fallback.map,
  };
  if (typeof fields.description === 'string') base.description = fields.description;
  if (base.kind === 'sql') {
    return {
      ...base,
      // A sql task starts no process: `defaults.env` and `defaults.secrets` do not reach it.
      env: {},
      secrets: [],
      kind: 'sql',
      connection: fields.connection as string,
      statement: fields.statement as string,
      maxRows: (fields.max_rows as number | undefined) ?? DEFAULT_SQL_MAX_ROWS,
    };
  }
  if (base.kind === 'dag') {
    return {
      ...base,
      // A dag task starts no process either.
      env: {},
      secrets: [],
      kind: 'dag',
      dag: fields.dag as string,
      params: (fields.params as JsonObject | undefined) ?? {},
      wait: (fields.wait as boolean | undefined) ?? true,
    };
  }
  if (base.kind === 'container') return containerTask(base, fields);
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

/** A container task: its own fields, defaults applied (pull if missing, no network). */
function containerTask(base: TaskModelBase, fields: RawFields): ContainerTaskModel {
  return {
    ...base,
    kind: 'container',
    image: fields.image as string,
    command: (fields.command as string[] | undefined) ?? null,
    args: (fields.args as string[] | undefined) ?? null,
    workdir: (fields.workdir as string | undefined) ?? null,
    cpu: (fields.cpu as number | undefined) ?? null,
    memoryBytes: (fields.memory as number | undefined) ?? null,
    pull: (fields.pull as ContainerPullPolicy | undefined) ?? 'if_missing',
    network: (fields.network as ContainerNetwork | undefined) ?? 'none',
    user: (fields.user as string | undefined) ?? null,
    volumes: (fields.volumes as ContainerVolume[] | undefined) ?? [],
    skipExitCode: (fields.skip_exit_code as number | undefined) ?? DEFAULT_SKIP_EXIT_CODE,
  };
}

/** The instance ids of each matrix task, by its spec id. */
type InstanceIds = ReadonlyMap<string, readonly string[]>;

/** A task's needs with every matrix task replaced by all its instances, deduplicated, in order. */
function expandNeeds(needs: readonly string[], instances: InstanceIds): string[] {
  return [...new Set(needs.flatMap((id) => instances.get(id) ?? [id]))];
}

/**
 * A built task as the model holds it: once, or for a matrix task once per combination of its values,
 * in product order, each with its instance id (`load[0]`), values and index.
 */
function expandTask(task: RawTask, built: TaskModel, instances: InstanceIds): TaskModel[] {
  const expanded = { ...built, needs: expandNeeds(built.needs, instances) };
  const matrix = task.fields.matrix as MatrixValues | undefined;
  if (matrix === undefined) return [expanded];
  return expandMatrix(matrix).map((values, index) => ({
    ...expanded,
    id: matrixInstanceId(task.id, index),
    env: { ...expanded.env },
    secrets: [...expanded.secrets],
    matrix: values,
    matrixIndex: index,
  }));
}

/**
 * Compiles a problem-free spec into its model: defaults applied, durations in ms, dates as instants,
 * matrix tasks expanded into their instances, tasks in order.
 */
export function buildModel(spec: ReadSpec, specFile: string): DagModel {
  const instances = new Map(
    spec.tasks.flatMap((task) => {
      const matrix = task.fields.matrix as MatrixValues | undefined;
      if (matrix === undefined) return [];
      const ids = expandMatrix(matrix).map((_, index) => matrixInstanceId(task.id, index));
      return [[task.id, ids] as const];
    }),
  );
  const model: DagModel = {
    name: spec.name,
    paramsSchema: spec.paramsSchema,
    tasks: spec.tasks.flatMap((task) => expandTask(task, buildTask(task, spec.defaults), instances)),
    specFile,
    dagrunTimeoutMs: spec.dagrunTimeoutMs,
    maxActiveTasks: spec.maxActiveTasks,
    maxActiveTasksPerRun: spec.maxActiveTasksPerRun,
    maxActiveRuns: spec.maxActiveRuns,
    schedule: spec.schedule,
    events: spec.events,
    after: spec.after,
  };
  if (spec.description !== undefined) model.description = spec.description;
  return model;
}
