/**
 * Dynamic fan-out (Airflow's dynamic task mapping): a task with a `map` becomes, when its rule says
 * run, one instance per element of a list found in an upstream task's output. Instances are entries of
 * the run snapshot named `T[0]`, `T[1]`, ...: they are not in the plan, and take the plan task `T` for
 * everything the engine needs to know of a task (retries, sensor, downstream tasks). Each instance
 * counts as an upstream task of T's downstream tasks, as each mapped task instance does in Airflow.
 */
import { type Failure, instanceId, type JsonValue, parseInstanceId, type TaskState } from '@tributary/core';
import { describeValue } from './branch.js';
import type { Plan } from './plan.js';
import type { PlanMap, PlanTask, RunSnapshot, TaskInstanceState } from './types.js';

/** A mapped task instance's plan task and index. */
export interface MapInstanceRef {
  /** The plan task the instance belongs to. */
  taskId: string;
  index: number;
}

/**
 * The mapped task and index of an instance id, or undefined for an id that is not one. A static
 * matrix instance (`load[0]`) is a task of the plan, so it is never taken for a mapped instance.
 */
export function mapInstanceRef(plan: Plan, id: string): MapInstanceRef | undefined {
  if (plan.has(id)) return undefined;
  const ref = parseInstanceId(id);
  if (ref === undefined || !plan.has(ref.taskId) || plan.task(ref.taskId).map == null) return undefined;
  return ref;
}

/** The plan task an id stands for: its own, or for a mapped instance its mapped task's. */
export function planTaskIdOf(plan: Plan, id: string): string {
  return mapInstanceRef(plan, id)?.taskId ?? id;
}

/** The plan task behind an id (see {@link planTaskIdOf}). */
export function planTaskOf(plan: Plan, id: string): PlanTask {
  return plan.task(planTaskIdOf(plan, id));
}

/** Whether the run has an instance with this id: a task of the plan or an instance it fanned out to. */
export function hasInstance(plan: Plan, run: RunSnapshot, id: string): boolean {
  if (plan.has(id)) return true;
  const ref = mapInstanceRef(plan, id);
  return ref !== undefined && Object.hasOwn(run.tasks, id);
}

/** The ids of a fanned-out task's current instances, in order; empty before it fanned out. */
export function mapInstanceIds(run: RunSnapshot, taskId: string): string[] {
  const count = run.tasks[taskId]?.mapCount ?? 0;
  return Array.from({ length: count }, (_, index) => instanceId(taskId, index));
}

/** The list a mapped task fans out over, or why there is none. */
export type MapItems = { items: readonly JsonValue[] } | { error: Failure };

/**
 * Reads the list at the task's `map` path in its upstream task's output. No list there (a missing
 * field, another type, an upstream that did not succeed) is the mapped task's failure, not the
 * engine's: the message names the task, the path and what was found.
 */
export function readMapItems(run: RunSnapshot, taskId: string, map: PlanMap): MapItems {
  const over = ['inputs', map.upstream, ...map.path].join('.');
  const upstream = run.tasks[map.upstream];
  if (upstream?.state !== 'succeeded' && upstream?.mapCount === undefined) {
    return invalid(taskId, `task '${taskId}' maps over ${over}, but '${map.upstream}' has no output`);
  }
  let value: JsonValue | undefined = outputOf(run, map.upstream);
  for (const key of map.path) {
    value = child(value, key);
    if (value === undefined) break;
  }
  if (Array.isArray(value)) return { items: value };
  return invalid(
    taskId,
    `task '${taskId}' maps over ${over}, which must be a list, but it is ${describe(value)}`,
  );
}

function child(value: JsonValue | undefined, key: string): JsonValue | undefined {
  if (Array.isArray(value)) return /^(0|[1-9][0-9]*)$/.test(key) ? value[Number(key)] : undefined;
  if (value !== null && typeof value === 'object' && Object.hasOwn(value, key)) return value[key];
  return undefined;
}

function describe(value: JsonValue | undefined): string {
  if (value === undefined) return 'missing';
  if (value !== null && typeof value === 'object' && '$tributary_output' in value) {
    return 'an output too large to be read by the scheduler (stored in the object store); return a smaller list';
  }
  return describeValue(value);
}

function invalid(taskId: string, message: string): MapItems {
  return { error: { type: 'InvalidMapInput', message, retryable: false, details: { taskId } } };
}

/**
 * The item of one mapped instance, read again from the upstream output (which stays put while the
 * instance exists). Undefined for an id that is not a mapped instance or whose list no longer has it.
 */
export function mapItemOf(plan: Plan, run: RunSnapshot, id: string): JsonValue | undefined {
  const ref = mapInstanceRef(plan, id);
  const map = ref === undefined ? undefined : plan.task(ref.taskId).map;
  if (ref === undefined || map == null) return undefined;
  // Mapped over a mapped task's outputs: the item is one instance's output, without building the list
  // for every instance dispatched.
  if (map.path.length === 0 && run.tasks[map.upstream]?.mapCount !== undefined) {
    return run.tasks[instanceId(map.upstream, ref.index)]?.output ?? null;
  }
  const read = readMapItems(run, ref.taskId, map);
  return 'items' in read ? read.items[ref.index] : undefined;
}

/**
 * What a downstream task receives as a task's output: a fanned-out task's is the list of its
 * instances' outputs in order (null for an instance that did not succeed, or has not yet); any other
 * task's is its own output, undefined when it has none.
 */
export function outputOf(run: RunSnapshot, id: string): JsonValue | undefined {
  const instance = run.tasks[id];
  if (instance?.mapCount === undefined) return instance?.output;
  return mapInstanceIds(run, id).map((child) => run.tasks[child]?.output ?? null);
}

/** What {@link inputsOf} needs to know of a task, or of a mapped task's instance. */
export interface TaskInputsShape {
  needs: readonly string[];
  /** The upstream a mapped task reads its list from. */
  map: { upstream: string } | null;
  /** Set on a mapped task's instance. */
  mapIndex?: number;
}

/**
 * The inputs a task receives: each of its needs' outputs ({@link outputOf}) by task id, null for one
 * that has none. A mapped task's instance gets its item instead of the list it was mapped over: 2,000
 * instances each carrying the whole 2,000-element list made a map quadratic in its length.
 */
export function inputsOf(run: RunSnapshot, task: TaskInputsShape): Record<string, JsonValue> {
  const mappedOver = task.mapIndex === undefined ? undefined : task.map?.upstream;
  const inputs: Record<string, JsonValue> = {};
  for (const upstream of task.needs) {
    if (upstream !== mappedOver) inputs[upstream] = outputOf(run, upstream) ?? null;
  }
  return inputs;
}

/**
 * The state a fanned-out task ends in once all its instances did: failed if any failed, cancelled if
 * any was cancelled, skipped if all were skipped, succeeded otherwise; with the failure that says which
 * instances failed.
 */
export function mappedOutcome(run: RunSnapshot, taskId: string): { state: TaskState; error?: Failure } {
  const instances = mapInstanceIds(run, taskId).map((id): [string, TaskInstanceState] => [
    id,
    run.tasks[id]!,
  ]);
  const failed = instances.filter(([, i]) => i.state === 'failed' || i.state === 'upstream_failed');
  if (failed.length > 0) {
    const names = failed.slice(0, 5).map(([id]) => id);
    const more = failed.length > names.length ? `, and ${failed.length - names.length} more` : '';
    return {
      state: 'failed',
      error: {
        type: 'MappedInstancesFailed',
        message: `${failed.length} of ${instances.length} instances of '${taskId}' failed: ${names.join(', ')}${more}`,
        retryable: false,
        details: { taskId, failed: failed.length },
      },
    };
  }
  if (instances.some(([, i]) => i.state === 'cancelled')) return { state: 'cancelled' };
  if (instances.every(([, i]) => i.state === 'skipped')) return { state: 'skipped' };
  return { state: 'succeeded' };
}
