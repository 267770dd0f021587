/**
 * Task instance ids of fan-outs: a static matrix's instances and a mapped task's runtime instances are
 * both named by the task id and an index, `load[0]`, `load[1]`, ... Authors cannot write `[` in a task
 * id, so an instance id never collides with a task's.
 */

const INSTANCE_ID = /^(.+)\[(0|[1-9][0-9]*)\]$/;

/** The id of instance `index` of task `taskId`: `load[0]`. */
export function instanceId(taskId: string, index: number): string {
  return `${taskId}[${index}]`;
}

/** `load[1]` as `{ taskId: 'load', index: 1 }`; undefined for an id without an index. */
export function parseInstanceId(id: string): { taskId: string; index: number } | undefined {
  const match = INSTANCE_ID.exec(id);
  if (match === null) return undefined;
  return { taskId: match[1] as string, index: Number(match[2]) };
}
