import type { JsonObject } from '@tributary/core';

/**
 * The validated, compiled form of a DAG spec. Plain JSON (it is stored in Postgres and carried in
 * task messages): durations are milliseconds, defaults are applied, paths are relative to the DAG
 * folder. Tasks keep their declaration order.
 */
export interface DagModel {
  name: string;
  description?: string;
  /** JSON Schema (draft-07, compiled by ajv in strict mode) of the run parameters, always `type: object`. */
  paramsSchema: JsonObject;
  tasks: TaskModel[];
  /** The spec file, relative to the DAG folder (`dag.yaml`). */
  specFile: string;
}

/** What every task kind shares. */
export interface TaskModelBase {
  id: string;
  kind: TaskKind;
  description?: string;
  /** Upstream task ids, deduplicated, in the order written. */
  needs: string[];
  /** Extra attempts after the first fails. @default 0 */
  retries: number;
  /** Fixed delay before a retry, in ms. @default 0 */
  retryDelayMs: number;
  /** Per-attempt execution timeout in ms; null means none. */
  timeoutMs: number | null;
  /** The worker pool that runs this task. @default "default" */
  pool: string;
  /** Extra environment variables (shell) or `ctx.env` entries (node). */
  env: Record<string, string>;
}

/** A JavaScript or TypeScript module from the bundle that exports `run(ctx)`. */
export interface NodeTaskModel extends TaskModelBase {
  kind: 'node';
  /** Module path relative to the DAG folder, e.g. `./transform.ts`. */
  module: string;
  /** Name of the exported function. @default "run" */
  export: string;
}

/** A shell command run in the bundle folder with `/bin/sh -c`. */
export interface ShellTaskModel extends TaskModelBase {
  kind: 'shell';
  command: string;
}

export type TaskModel = NodeTaskModel | ShellTaskModel;
export type TaskKind = TaskModel['kind'];
export const TASK_KINDS: readonly TaskKind[] = ['node', 'shell'];
