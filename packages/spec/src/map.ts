/**
 * Dynamic fan-out (Airflow's dynamic task mapping): a task with `map: { over: inputs.<id>.<field> }`
 * runs once per element of a list that exists only at run time, so unlike a matrix it stays one task
 * in the model. The engine makes the instances, with the same `[n]` ids as matrix instances
 * (`process[0]`, `process[1]`, ...; {@link parseInstanceRef} reads them back).
 */
import { instanceId, type JsonValue } from '@tributary/core';
import { MAP_OVER_PATTERN } from './fields.js';
import type { MapModel, TaskModel } from './model.js';

const MAP_OVER = new RegExp(MAP_OVER_PATTERN);
const UPSTREAM = /^inputs\.([A-Za-z][A-Za-z0-9_-]*(?:\[(?:0|[1-9][0-9]*)\])?)/;

/**
 * `inputs.list_files.files` as `{ over, upstream: 'list_files', path: ['files'] }`; undefined when
 * `over` is not `inputs.<id>` followed by `.<field>` or `.<index>` segments.
 */
export function parseMapOver(over: string): MapModel | undefined {
  if (!MAP_OVER.test(over)) return undefined;
  const upstream = UPSTREAM.exec(over)?.[1] as string;
  const rest = over.slice('inputs.'.length + upstream.length);
  return { over, upstream, path: rest === '' ? [] : rest.slice(1).split('.') };
}

/**
 * The model of one runtime instance of a mapped task: its id `process[n]`, its index and its element.
 * `env` is copied, so that rendering one instance's templates cannot touch another's.
 */
export function mapInstanceModel(task: TaskModel, index: number, item: JsonValue): TaskModel {
  return { ...task, id: instanceId(task.id, index), env: { ...task.env }, mapIndex: index, mapItem: item };
}
