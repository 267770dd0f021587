import type { Failure, JsonObject, JsonValue, RunState } from '@tributary/core';
import type { LogLevel } from '@tributary/sdk';
import type { TaskModel } from '@tributary/spec';

/** One attempt of one task to execute. */
export interface ExecutionRequest {
  runId: string;
  taskId: string;
  attempt: number;
  /** The compiled task: its kind decides the executor. */
  task: TaskModel;
  /** Absolute path of the unpacked DAG folder; module paths and shell commands resolve from here. */
  bundleDir: string;
  params: JsonObject;
  /** Upstream outputs by task id. */
  inputs: Record<string, JsonValue>;
  /** W3C traceparent of the attempt's span, passed on to the task (TRACEPARENT env, ctx). */
  traceparent?: string;
  /** The run's logical date (epoch ms): `{{ run.logical_date }}` and `{{ run.data_interval_start }}` in templates. */
  logicalDate: number;
  /** The end of the run's data interval (epoch ms): `{{ run.data_interval_end }}`. @default the logical date */
  dataIntervalEnd?: number;
}

/**
 * How an attempt ended. Executors return failures as data; they never throw for a task's own error.
 * `skipped`: the task skipped itself. `rescheduled`: a reschedule-mode sensor's condition does not hold
 * yet (the caller pokes it again after the sensor's interval).
 */
export type ExecutionOutcome = 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'skipped' | 'rescheduled';

export interface ExecutionResult {
  outcome: ExecutionOutcome;
  /** The JSON output when succeeded (null when the task produced none). */
  output?: JsonValue;
  /**
   * Why the attempt did not succeed. Also set when `skipped`: the task's reason (type `SkipTask`), or
   * a soft-failing sensor's timeout (type `SensorTimeout`). Absent for `rescheduled`.
   */
  error?: Failure;
  /** Epoch ms. */
  startedAt: number;
  finishedAt: number;
  /** The last lines the task logged (stdout, stderr, ctx.log), oldest first. */
  logTail: string[];
}

export interface LogLine {
  stream: 'stdout' | 'stderr' | 'log';
  line: string;
  /** Epoch ms. */
  at: number;
  /** For `ctx.log` lines (stream `log`): which method wrote it. Added: optional, absent for stdout/stderr. */
  level?: LogLevel;
}

export interface ExecuteOptions {
  /** Aborting it cancels the attempt: outcome `cancelled`. */
  signal?: AbortSignal;
  /** Called for every log line as it is produced. */
  onLog?: (line: LogLine) => void;
  /**
   * The run's shared key-value store, behind a node task's `ctx.context` and a shell task's
   * `TRIBUTARY_CONTEXT` snapshot. When absent, `ctx.context` calls reject and `TRIBUTARY_CONTEXT` is `{}`.
   */
  context?: RunContextStore;
}

/**
 * Where a run's context lives: a Map for a local run, a NATS KV bucket on the cluster. Callers pass
 * keys already checked by `assertContextKey` and values already within the size limit.
 */
export interface RunContextStore {
  /** The key's value, or undefined when it was never set. */
  get(key: string): Promise<JsonValue | undefined>;
  /** Sets or replaces the key's value. */
  set(key: string, value: JsonValue): Promise<void>;
  /** Every key set in the run. */
  keys(): Promise<string[]>;
}

/** Runs task attempts of every kind. */
export interface TaskExecutor {
  /**
   * Runs one attempt. A sensor (`task.sensor`) in `poke` mode is poked until its condition holds or
   * its sensor timeout passes, within this one call; in `reschedule` mode it is poked once and ends
   * `rescheduled` while its condition does not hold.
   */
  execute(request: ExecutionRequest, options?: ExecuteOptions): Promise<ExecutionResult>;
  /** Stops thread pools and kills any process still running. */
  close(): Promise<void>;
}

export interface ExecutorOptions {
  /** Threads in the piscina pool for node tasks. @default os.availableParallelism() */
  maxThreads?: number;
  /** After a timeout or cancel: how long a task gets to stop before its process group is killed. @default 5000 */
  killGraceMs?: number;
  /** How many log lines a result keeps. @default 20 */
  logTailLines?: number;
  /**
   * The environment shell tasks start from, before the task's own `env` and the `TRIBUTARY_*` variables.
   * Added: lets a worker keep its own secrets (e.g. NATS credentials) away from task processes.
   * @default process.env
   */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /**
   * Resolves a sql task's connection name to a Postgres URL (`postgres://user:password@host:5432/db`),
   * or undefined when this process has no such connection, which fails the attempt with
   * `ConnectionNotConfigured`. Build one with `createConnectionResolver`; URLs stay on the worker,
   * never in the DAG, the database or a result.
   * @default no connections
   */
  connections?: ConnectionResolver;
  /**
   * Resolves the names of the secrets a task names (`secrets: [API_TOKEN]`) to their values, or
   * undefined when this process does not have one, which fails the attempt with `SecretNotConfigured`
   * (not retryable). Build one with `createSecretResolver`. A shell task gets each secret as an
   * environment variable of its name, a node task as `ctx.secrets.<NAME>`; every value is masked
   * (`***`) in the attempt's log lines and error.
   * @default no secrets
   */
  secrets?: SecretResolver;
  /**
   * Starts and watches the child runs of dag tasks: through the API on a worker, in process for
   * `tributary run`. Null fails every dag task with `DagTriggerNotConfigured` (not retryable).
   * @default null
   */
  dags?: DagTrigger | null;
  /**
   * Where container tasks' engine listens: a unix socket path (`/run/podman/podman.sock`), a
   * `unix://` URL, or a `tcp://host:port` URL, as `DOCKER_HOST` holds. Docker and Podman's compatible
   * API service both serve it.
   * @default '/var/run/docker.sock'
   */
  containerSocket?: string;
  /**
   * Host folders under which a container task may bind-mount `volumes` (absolute paths, symlinks
   * resolved). A volume elsewhere fails its attempt with `ContainerVolumeDenied` (not retryable), so a
   * DAG author cannot mount the host's `/`.
   * @default [] (no extra volumes)
   */
  allowedVolumes?: readonly string[];
  /**
   * The `tributary.worker` label of the containers this process starts: a name that stays the same when
   * the worker restarts, so that {@link removeOrphanContainers} finds what a crashed run of it left.
   * @default os.hostname()
   */
  containerOwner?: string;
}

/** The task attempt that triggers a child run; the child run records it as its parent. */
export interface DagRunParent {
  runId: string;
  taskId: string;
  attempt: number;
}

/** What a dag task asks for: a run of `dag` with `params`. */
export interface DagTriggerRequest {
  /** The child DAG's name. */
  dag: string;
  params: JsonObject;
  /**
   * `<runId>.<taskId>.<attempt>`: triggering twice with the same id starts one run, so a redelivered
   * attempt finds the child it started, while a retry (a new attempt) starts a new one.
   */
  requestId: string;
  parent: DagRunParent;
  /** The attempt's traceparent: the child run's trace goes on from the dag task's span. */
  traceparent?: string;
}

/**
 * Starts child runs for dag tasks and follows them. Rejections are `TributaryError`s: `NotFound` (no
 * such DAG), `InvalidArgument` (bad params) and `FailedPrecondition` fail the task for good; other
 * codes (`Unavailable`...) let it retry.
 */
export interface DagTrigger {
  /** Starts the child run (idempotent by `requestId`) and returns its id. */
  trigger(request: DagTriggerRequest, signal: AbortSignal): Promise<{ runId: string }>;
  /** Resolves with the child's final state (`succeeded`, `failed` or `cancelled`). */
  wait(runId: string, signal: AbortSignal): Promise<RunState>;
  /** Cancels the child run; a run that already ended stays as it is. */
  cancel(runId: string, reason: string): Promise<void>;
}

/** A connection name (`warehouse`) to its Postgres URL; undefined when it is not configured. */
export type ConnectionResolver = (name: string) => string | undefined;

/** A secret name (`API_TOKEN`) to its value; undefined when it is not configured. */
export type SecretResolver = (name: string) => string | undefined;
