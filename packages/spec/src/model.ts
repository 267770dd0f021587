import type { JsonObject, JsonValue, TriggerRule } from '@tributary/core';
import type { OverlapPolicy } from '@tributary/schedule';

export type { OverlapPolicy } from '@tributary/schedule';

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
  /** Time limit of a whole run in ms (Airflow's `dagrun_timeout`); null means none. */
  dagrunTimeoutMs: number | null;
  /**
   * How many task instances of this DAG may be queued or running at once, across all its runs
   * (Airflow's `max_active_tasks`); null means no limit.
   */
  maxActiveTasks: number | null;
  /** How many task instances of one run may be queued or running at once; null means no limit. */
  maxActiveTasksPerRun: number | null;
  /** How many runs of the DAG may run at once (later ones wait `queued`); null means no limit. */
  maxActiveRuns: number | null;
  /** When the DAG runs by itself on a clock; null (or absent in models stored before it existed): never. */
  schedule?: ScheduleModel | null;
  /** Runs started by messages on a NATS subject; null (or absent): none. */
  events?: EventTriggerModel | null;
  /**
   * Runs started when all of these tasks of other DAGs have succeeded since this DAG's last such run
   * (Airflow's datasets, in their simplest form); empty (or absent): none.
   */
  after?: AfterModel[];
}

/** A DAG's `schedule` and the fields that go with it. */
export interface ScheduleModel {
  /** A cron expression of 5 fields (minutes) or 6 (seconds first), or a preset such as `@daily`, as written. */
  cron: string;
  /** The IANA time zone the expression is read in. @default "UTC" */
  timezone: string;
  /**
   * The first data interval starts at the first fire time at or after it (epoch ms); null: when the
   * coordinator first sees the schedule.
   */
  startDate: number | null;
  /** No data interval starts after it (epoch ms); null: none. */
  endDate: number | null;
  /** Run the intervals missed while the DAG was paused, undeployed or the scheduler down. @default true */
  catchup: boolean;
  /** @default "buffer_all" */
  overlap: OverlapPolicy;
}

/** A DAG's `on`: a run for each message on a NATS subject. */
export interface EventTriggerModel {
  /** A NATS subject, wildcards allowed (`orders.created.>`). */
  subject: string;
  /**
   * The run's params, rendered from the message: top-level string values are templates over
   * `event.subject`, `event.data` (the JSON body; a string when the body is not JSON) and `event.headers`;
   * a value that is one template alone keeps the JSON type of what it names.
   */
  params: JsonObject;
  /**
   * A template over the same scope; a message whose rendered key was already seen for this DAG starts
   * no second run. Null: only a redelivery of the same stream message is recognised.
   */
  dedupeKey: string | null;
}

/** One entry of a DAG's `after`: a task of another DAG whose success this DAG waits for. */
export interface AfterModel {
  dag: string;
  task: string;
}

/** How the delay before each retry grows. */
export type RetryBackoff = 'fixed' | 'exponential';

/**
 * A sensor waits for a condition: each poke returns false (node) or exits with
 * {@link SENSOR_NOT_YET_EXIT_CODE} (shell) until it holds.
 */
export interface SensorModel {
  /** `poke` keeps the worker slot and sleeps between pokes; `reschedule` frees it until the next poke. */
  mode: 'poke' | 'reschedule';
  /** Time between pokes, in ms. @default 60000 */
  intervalMs: number;
  /** How long the sensor may wait in all, in ms, from its first poke. @default 604800000 (7 days) */
  timeoutMs: number;
  /** On timeout the task ends `skipped` instead of `failed`. @default false */
  softFail: boolean;
}

/** The exit code with which a shell sensor says "not yet, poke again". */
export const SENSOR_NOT_YET_EXIT_CODE = 100;
/** The exit code with which a shell task says "skip me" (Airflow's convention) unless it sets its own. */
export const DEFAULT_SKIP_EXIT_CODE = 99;

/** What every task kind shares. */
export interface TaskModelBase {
  id: string;
  kind: TaskKind;
  description?: string;
  /** Upstream task ids, deduplicated, in the order written. */
  needs: string[];
  /** Extra attempts after the first fails. @default 0 */
  retries: number;
  /** Delay before the first retry, in ms. @default 0 */
  retryDelayMs: number;
  /** `exponential` doubles the delay at each retry (capped by `maxRetryDelayMs`). @default "fixed" */
  retryBackoff: RetryBackoff;
  /** Upper bound of a retry delay in ms; null means none. */
  maxRetryDelayMs: number | null;
  /** Spread each retry delay randomly over its upper half. @default true for exponential backoff */
  retryJitter: boolean;
  /** When the task may run, judged from how its upstream tasks ended. @default "all_success" */
  triggerRule: TriggerRule;
  /**
   * A branch task's output names the downstream task id (or ids) to follow; its other direct
   * downstream tasks are skipped. @default false
   */
  branch: boolean;
  /** Set when the task is a sensor. */
  sensor: SensorModel | null;
  /** Per-attempt execution timeout in ms; null means none. */
  timeoutMs: number | null;
  /**
   * How long a dispatched attempt may wait for a worker to start it, in ms; null means no limit. When it
   * passes the task fails (`QueueTimeout`) without a retry. Absent in models stored before it existed.
   */
  queueTimeoutMs: number | null;
  /**
   * How long the task may run without a heartbeat from its worker before it is lost, in ms; null means
   * the coordinator's `heartbeatTimeoutMs`. Absent in models stored before it existed.
   */
  heartbeatTimeoutMs: number | null;
  /** The worker pool that runs this task. @default "default" */
  pool: string;
  /**
   * Extra environment variables (shell, container) or `ctx.env` entries (node); always empty for sql and
   * dag tasks.
   */
  env: Record<string, string>;
  /**
   * Names of the secrets the task reads (`API_TOKEN`), `defaults.secrets` first, deduplicated; always empty
   * for sql and dag tasks. Only names: the values are resolved where the task runs
   * (`TRIBUTARY_SECRET_<NAME>` or the secrets file), reach a shell task as environment variables and a
   * node task as `ctx.secrets`, and are masked in its logs. Absent in models stored before it existed.
   */
  secrets: string[];
  /**
   * Set on each instance of a task with a `matrix`: this instance's value of every matrix key
   * (`{ region: 'eu', size: 'small' }`). The spec's `load` becomes `load[0]`, `load[1]`, ... in the
   * model; `{{ matrix.<key> }}` templates, `ctx.matrix` and `TRIBUTARY_MATRIX` read these values.
   */
  matrix?: Record<string, MatrixValue>;
  /** Set with `matrix`: the instance's place in the cartesian product, the `n` of its id `load[n]`. */
  matrixIndex?: number;
  /**
   * Dynamic fan-out: the task runs once per element of the list `map.over` names, which exists only at
   * run time. The model keeps one task; the engine makes its instances with `mapInstanceModel`.
   * @default null
   */
  map: MapModel | null;
  /**
   * Set only on the model of one runtime instance of a mapped task: its place in the list, the `n` of
   * its id `process[n]` (`{{ map.index }}`, `ctx.mapIndex`, `TRIBUTARY_MAP_INDEX`).
   */
  mapIndex?: number;
  /** Set with `mapIndex`: the instance's element of the list (`{{ map.item }}`, `ctx.mapItem`, `TRIBUTARY_MAP_ITEM`). */
  mapItem?: JsonValue;
}

/**
 * A task's `map`: where the list it fans out over is. `inputs.list_files.files` is upstream
 * `list_files`, path `['files']`; list indexes in the path are strings too (`inputs.a.b.0` -> `['b', '0']`).
 */
export interface MapModel {
  /** As written in the spec. */
  over: string;
  /** The upstream task id after `inputs.` (one of the task's needs; may be a matrix instance, `load[0]`). */
  upstream: string;
  /** The segments after the upstream id, as strings. */
  path: string[];
}

/** One value of a matrix key: a scalar, as written in the spec. */
export type MatrixValue = string | number | boolean;

/** The most instances one matrix task may expand to. */
export const MAX_MATRIX_INSTANCES = 256;

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
  /** The exit code that ends the task `skipped` rather than failed. @default 99 */
  skipExitCode: number;
}

/** The rows a SQL task's output holds at most when its spec sets no `max_rows`. */
export const DEFAULT_SQL_MAX_ROWS = 1000;

/**
 * One SQL statement run against a Postgres connection. The connection is named here and resolved to a
 * URL on the worker (from its environment or secrets file), so no credential is stored with the DAG.
 * The output is `{ rows, rowCount, truncated }`.
 */
export interface SqlTaskModel extends TaskModelBase {
  kind: 'sql';
  /** The connection's name, e.g. `warehouse` (`TRIBUTARY_CONNECTION_WAREHOUSE` on the worker). */
  connection: string;
  /** One SQL statement; its `{{ name }}` templates become bind parameters (`$1`, `$2`, ...). */
  statement: string;
  /** The most rows the output holds; the statement is not read further. @default 1000 */
  maxRows: number;
}

/**
 * Triggers a run of another DAG (Airflow's TriggerDagRunOperator) and, with `wait`, ends as that run
 * ends. The output is `{ run_id, state }` (`{ run_id }` without `wait`).
 */
export interface DagTaskModel extends TaskModelBase {
  kind: 'dag';
  /** The name of the DAG to trigger. */
  dag: string;
  /**
   * The child run's parameters. Top-level string values are templates, rendered like `env` values; a
   * value that is one template alone keeps the JSON type of what it names.
   */
  params: JsonObject;
  /** Wait for the child run and end as it ends; false succeeds once it is triggered. @default true */
  wait: boolean;
}

/** When a container task's image is pulled from its registry. */
export type ContainerPullPolicy = 'always' | 'if_missing' | 'never';
export const CONTAINER_PULL_POLICIES: readonly ContainerPullPolicy[] = ['always', 'if_missing', 'never'];

/** The network a container task's container joins. */
export type ContainerNetwork = 'none' | 'bridge' | 'host';
export const CONTAINER_NETWORKS: readonly ContainerNetwork[] = ['none', 'bridge', 'host'];

/** One extra bind mount of a container task (`/data/in:/in:ro`). */
export interface ContainerVolume {
  /** Absolute path on the worker's host; the worker refuses it unless it is under a folder it allows. */
  hostPath: string;
  /** Absolute path inside the container. */
  containerPath: string;
  readOnly: boolean;
}

/**
 * A container image run through the worker's container engine (Docker, or Podman's compatible API).
 * The task's bundle folder is mounted read-only at `/bundle`; the output is a JSON file the container
 * writes to `/tributary/output/output.json`, else its last stdout line if that is JSON. Exit codes mean
 * what they mean for shell tasks.
 */
export interface ContainerTaskModel extends TaskModelBase {
  kind: 'container';
  /** The image reference, e.g. `python:3.12-slim`. */
  image: string;
  /** Replaces the image's entrypoint; each element is templated like an env value. Null: the image's. */
  command: string[] | null;
  /** Replaces the image's command (its arguments); templated like `command`. Null: the image's. */
  args: string[] | null;
  /** Absolute working directory inside the container; null: the image's. */
  workdir: string | null;
  /** CPU limit in cores (0.5 is half a core); null: none. */
  cpu: number | null;
  /** Memory limit in bytes; null: none. */
  memoryBytes: number | null;
  /** @default "if_missing" */
  pull: ContainerPullPolicy;
  /** @default "none" */
  network: ContainerNetwork;
  /** `uid`, `uid:gid` or a user name of the image; null: the image's user. */
  user: string | null;
  /** Extra bind mounts, in the order written. @default [] */
  volumes: ContainerVolume[];
  /** The exit code that ends the task `skipped` rather than failed. @default 99 */
  skipExitCode: number;
}

export type TaskModel = NodeTaskModel | ShellTaskModel | SqlTaskModel | DagTaskModel | ContainerTaskModel;
export type TaskKind = TaskModel['kind'];
export const TASK_KINDS: readonly TaskKind[] = ['node', 'shell', 'sql', 'dag', 'container'];
