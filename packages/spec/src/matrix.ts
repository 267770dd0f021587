/**
 * Static fan-out: a task with a `matrix` becomes one task per combination of its values when the spec
 * is compiled (boundary-layer's generators, Airflow's static fan-out). Instance ids are the task id and
 * the combination's index, `load[0]`, `load[1]`, ...: authors cannot write such ids for their own
 * tasks, so an instance never collides with one.
 */
import { instanceId, parseInstanceId } from '@tributary/core';
import type { MatrixValue } from './model.js';

/** A matrix as read from the spec: each key with its non-empty list of values, in declaration order. */
export type MatrixValues = Record<string, MatrixValue[]>;

/** The id of instance `index` of matrix task `taskId`: `load[0]`. */
export function matrixInstanceId(taskId: string, index: number): string {
  return instanceId(taskId, index);
}

/** `load[1]` as `{ taskId: 'load', index: 1 }`; undefined for an id without an index. */
export function parseInstanceRef(id: string): { taskId: string; index: number } | undefined {
  return parseInstanceId(id);
}

/** How many instances a matrix expands to: the product of its list lengths. */
export function matrixSize(values: MatrixValues): number {
  return Object.values(values).reduce((size, list) => size * list.length, 1);
}

/**
 * Every combination of a matrix's values, as the cartesian product in declaration order: the first
 * key varies slowest, so `{ region: [eu, us], size: [s, l] }` gives eu/s, eu/l, us/s, us/l.
 */
export function expandMatrix(values: MatrixValues): Record<string, MatrixValue>[] {
  let combinations: Record<string, MatrixValue>[] = [{}];
  for (const [key, list] of Object.entries(values)) {
    combinations = combinations.flatMap((combination) =>
      list.map((value) => ({ ...combination, [key]: value })),
    );
  }
  return combinations;
}
