import { fromBinary } from '@bufbuild/protobuf';
import type * as grpc from '@grpc/grpc-js';
import { Code, type JsonObject, TributaryError } from '@tributary/core';
import {
  type BackfillRun,
  type Bundle,
  BundleSchema,
  type ClearTasksResponse,
  type DagSummary,
  type ListRunsResponse,
  type RegisterDagResponse,
  type RejectedEvent,
  type Run,
  type StreamTaskLogsResponse,
  type TriggerRunResponse,
  timestamp,
  type WatchRunResponse,
  type Worker,
} from '@tributary/proto';
import { packDagFolder } from './bundle.js';
import { HEALTH_CHECK_METHOD, type HealthStatus } from './health.js';
import { openTransport, type Transport } from './transport.js';

/** Where the Tributary coordinator listens unless told otherwise. */
export const DEFAULT_SERVER_ADDRESS = '127.0.0.1:7070';

/** Options of {@link createClient}. */
export interface ClientOptions {
  /**
   * The coordinator's gRPC address, `host:port`.
   * @default DEFAULT_SERVER_ADDRESS ('127.0.0.1:7070')
   */
  address: string;
  /**
   * Channel credentials, e.g. `grpc.credentials.createSsl()` for TLS.
   * @default grpc.credentials.createInsecure()
   */
  credentials: grpc.ChannelCredentials;
}

/** What {@link TributaryClient.triggerRun} takes. */
export interface TriggerRunOptions {
  dag: string;
  /** Run parameters, checked against the DAG's params schema. */
  params?: JsonObject;
  /** Makes the trigger idempotent: the same id returns the same run. */
  requestId?: string;
  /** @default 0 (the latest version) */
  version?: number;
  /** The dag task that triggers the run (its run must exist); the run records it as its parent. */
  parent?: { runId: string; taskId: string };
  /**
   * W3C traceparent of the span the run's span is to be a child of. @default the active span's, through
   * the OpenTelemetry propagator the program registered (none without an SDK)
   */
  traceparent?: string;
}

/** What {@link TributaryClient.listRuns} takes. */
export interface ListRunsOptions {
  /** @default '' (every DAG) */
  dag?: string;
  /** @default 0 (the server's default, 50) */
  pageSize?: number;
  /** `nextPageToken` of the previous page. */
  pageToken?: string;
}

/** What {@link TributaryClient.listWorkers} takes. */
export interface ListWorkersOptions {
  /** Only workers serving this pool. @default '' (every worker) */
  pool?: string;
}

/** What {@link TributaryClient.clearTasks} takes besides the run and the tasks. */
export interface ClearTasksOptions {
  /** Also clear every task downstream of the named ones, transitively. @default false */
  downstream?: boolean;
  /** Only clear tasks that ended `failed` or `upstream_failed`. @default false */
  failedOnly?: boolean;
}

/** What {@link TributaryClient.backfill} takes. */
export interface BackfillOptions {
  dag: string;
  /** The first logical date of the range (a `Date` or epoch milliseconds), included. */
  from: Date | number;
  /** The last logical date of the range, included. */
  to: Date | number;
  /** Clear the failed tasks of the range's failed runs so that they run again. @default false */
  rerunFailed?: boolean;
}

/** What {@link TributaryClient.listRejectedEvents} takes. */
export interface ListRejectedEventsOptions {
  /** Only this DAG's rejected events. @default '' (every DAG's) */
  dag?: string;
  /** At most this many; the server caps it at 1000. @default 0 (the server's default, 50) */
  limit?: number;
}

/** Options of {@link TributaryClient.streamTaskLogs}. */
export interface StreamTaskLogsOptions {
  /** The attempt to read; 0 for the task's latest. @default 0 */
  attempt?: number;
  /** Keep streaming while the attempt runs, ending when it ends. @default false */
  follow?: boolean;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/**
 * A typed client of the Tributary API. Every failed call rejects with a `TributaryError` whose code is
 * the gRPC status code and whose problems come from the status details.
 */
export interface TributaryClient extends AsyncDisposable {
  /** Registers a DAG bundle (a `Bundle` or its binary encoding); the same bundle twice is not a new version. */
  registerDag(bundle: Bundle | Uint8Array): Promise<RegisterDagResponse>;
  /** Packs a DAG folder with `packDagFolder` and registers it. */
  deployDagFolder(dir: string): Promise<RegisterDagResponse>;
  listDags(): Promise<DagSummary[]>;
  triggerRun(request: TriggerRunOptions): Promise<TriggerRunResponse>;
  getRun(runId: string): Promise<Run>;
  listRuns(request?: ListRunsOptions): Promise<ListRunsResponse>;
  /**
   * Streams a snapshot of the run, then every change until it finishes. Aborting `signal` (or leaving the
   * loop) cancels the call; an abort makes the iteration throw a `TributaryError` with code `Cancelled`.
   */
  watchRun(runId: string, options?: { signal?: AbortSignal }): AsyncIterable<WatchRunResponse>;
  cancelRun(runId: string, reason?: string): Promise<Run>;
  /**
   * Streams one task attempt's log lines in order, in batches; each batch names its attempt (the
   * resolved one when `attempt` is 0, the latest). With `follow`, lines keep coming while the attempt
   * runs and the stream ends when it ends; otherwise it ends after the lines stored so far. Rejects with
   * `NotFound` for an unknown run or task, `InvalidArgument` for a malformed run id or an attempt the
   * task never had, `FailedPrecondition` when the task has not been dispatched yet. Aborting `signal`
   * (or leaving the loop) cancels the call; an abort makes the iteration throw `Cancelled`.
   */
  streamTaskLogs(
    runId: string,
    taskId: string,
    options?: StreamTaskLogsOptions,
  ): AsyncIterable<StreamTaskLogsResponse>;
  /**
   * Resets finished tasks to run again within the same run, keeping their earlier attempts; a finished
   * run (failed, cancelled, succeeded) runs again. Resolves with the run after the clear and the ids
   * cleared (empty when none was finished, or failed with `failedOnly`). Rejects with `NotFound` for an
   * unknown run, `InvalidArgument` for unknown task ids, `FailedPrecondition` when a selected task is
   * still queued, running or waiting for a retry.
   */
  clearTasks(
    runId: string,
    taskIds: readonly string[],
    options?: ClearTasksOptions,
  ): Promise<{ run: Run; clearedTaskIds: string[] }>;
  /**
   * The workers the coordinator heard from lately, live ones first, then stopped and unresponsive ones
   * (kept until the coordinator's worker retention has passed), each group by id.
   */
  listWorkers(options?: ListWorkersOptions): Promise<Worker[]>;
  /**
   * Pauses (or unpauses) a DAG: a paused DAG starts no scheduled, event or `after` runs; runs in flight
   * go on, and manual triggers and backfills still work. Resolves with the DAG as it is now (its
   * schedule's next run included). Rejects with `NotFound` for an unknown DAG.
   */
  setDagPaused(dag: string, paused: boolean): Promise<DagSummary>;
  /**
   * Creates the runs of a DAG's schedule for every data interval whose logical date falls in
   * [`from`, `to`], and resolves with one entry per interval in logical date order: the run and what
   * the backfill did (created it, kept an existing one, or cleared a failed one with `rerunFailed`).
   * Rejects with `NotFound` for an unknown DAG, `FailedPrecondition` for a DAG without a schedule,
   * `InvalidArgument` for a bad range (`from` after `to`, or a date the schedule cannot take).
   */
  backfill(options: BackfillOptions): Promise<BackfillRun[]>;
  /**
   * The event messages that started no run (their payload failed the DAG's params, say), newest
   * first, at most `limit` of them (the server's maximum is 1000). Rejects with `NotFound` when `dag`
   * names an unknown DAG.
   */
  listRejectedEvents(options?: ListRejectedEventsOptions): Promise<RejectedEvent[]>;
  /**
   * Asks the server's `grpc.health.v1` service; `SERVICE_UNKNOWN` when it has no status for `service`.
   * @param service - `''` for the server as a whole.
   */
  checkHealth(service?: string): Promise<HealthStatus>;
  /** Closes the channel. Calls made afterwards reject with `FailedPrecondition`. */
  close(): void;
}

/** Creates a client. It connects lazily, on the first call. */
export function createClient(options: Partial<ClientOptions> = {}): TributaryClient {
  const address = options.address ?? DEFAULT_SERVER_ADDRESS;
  const transport = openTransport(address, options.credentials);

  const client: TributaryClient = {
    async registerDag(bundle) {
      return transport.unary('registerDag', {
        bundle: bundle instanceof Uint8Array ? decodeBundle(bundle) : bundle,
      });
    },
    async deployDagFolder(dir) {
      const { bundle } = await packDagFolder(dir);
      return client.registerDag(bundle);
    },
    async listDags() {
      return (await transport.unary('listDags', {})).dags;
    },
    async triggerRun(request) {
      return transport.unary(
        'triggerRun',
        {
          dag: request.dag,
          params: request.params,
          requestId: request.requestId ?? '',
          version: request.version ?? 0,
          parentRunId: request.parent?.runId ?? '',
          parentTaskId: request.parent?.taskId ?? '',
        },
        request.traceparent,
      );
    },
    async getRun(runId) {
      return requireRun(await transport.unary('getRun', { runId }), 'GetRun');
    },
    async listRuns(request = {}) {
      return transport.unary('listRuns', {
        dag: request.dag ?? '',
        pageSize: request.pageSize ?? 0,
        pageToken: request.pageToken ?? '',
      });
    },
    watchRun(runId, watchOptions = {}) {
      return watchRun(transport, runId, watchOptions.signal);
    },
    streamTaskLogs(runId, taskId, logOptions = {}) {
      return streamTaskLogs(transport, { runId, taskId, ...logOptions });
    },
    async cancelRun(runId, reason = '') {
      return requireRun(await transport.unary('cancelRun', { runId, reason }), 'CancelRun');
    },
    async clearTasks(runId, taskIds, clearOptions = {}) {
      const response: ClearTasksResponse = await transport.unary('clearTasks', {
        runId,
        taskIds: [...taskIds],
        downstream: clearOptions.downstream ?? false,
        failedOnly: clearOptions.failedOnly ?? false,
      });
      return { run: requireRun(response, 'ClearTasks'), clearedTaskIds: response.clearedTaskIds };
    },
    async listWorkers(listOptions = {}) {
      return (await transport.unary('listWorkers', { pool: listOptions.pool ?? '' })).workers;
    },
    async setDagPaused(dag, paused) {
      const response = await transport.unary('setDagPaused', { dag, paused });
      if (response.dag === undefined)
        throw new TributaryError(Code.Internal, "the server's SetDagPaused response has no dag");
      return response.dag;
    },
    async backfill(backfillOptions) {
      const response = await transport.unary('backfill', {
        dag: backfillOptions.dag,
        from: timestamp(epochMillis(backfillOptions.from, 'from')),
        to: timestamp(epochMillis(backfillOptions.to, 'to')),
        rerunFailed: backfillOptions.rerunFailed ?? false,
      });
      return response.runs;
    },
    async listRejectedEvents(listOptions = {}) {
      const response = await transport.unary('listRejectedEvents', {
        dag: listOptions.dag ?? '',
        limit: listOptions.limit ?? 0,
      });
      return response.events;
    },
    async checkHealth(service = '') {
      try {
        return await transport.call(HEALTH_CHECK_METHOD, service);
      } catch (error) {
        // The health protocol answers Check for an unknown service with NOT_FOUND.
        if (error instanceof TributaryError && error.code === Code.NotFound) return 'SERVICE_UNKNOWN';
        throw error;
      }
    },
    close() {
      transport.close();
    },
    async [Symbol.asyncDispose]() {
      transport.close();
    },
  };
  return client;
}

async function* watchRun(
  transport: Transport,
  runId: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<WatchRunResponse> {
  if (signal?.aborted) throw abortedError(`watching run '${runId}'`, signal);
  const call = transport.stream('watchRun', { runId });
  const cancel = () => call.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for await (const message of call) yield message as WatchRunResponse;
  } catch (error) {
    if (signal?.aborted) throw abortedError(`watching run '${runId}'`, signal);
    throw transport.toError(error);
  } finally {
    signal?.removeEventListener('abort', cancel);
    // Ends the server's stream when the caller left the loop early; a no-op once the call has ended.
    call.cancel();
  }
}

async function* streamTaskLogs(
  transport: Transport,
  request: { runId: string; taskId: string } & StreamTaskLogsOptions,
): AsyncGenerator<StreamTaskLogsResponse> {
  const { signal } = request;
  const what = `reading the logs of task '${request.taskId}' of run '${request.runId}'`;
  if (signal?.aborted) throw abortedError(what, signal);
  const call = transport.stream('streamTaskLogs', {
    runId: request.runId,
    taskId: request.taskId,
    attempt: request.attempt ?? 0,
    follow: request.follow ?? false,
  });
  const cancel = () => call.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for await (const message of call) yield message as StreamTaskLogsResponse;
  } catch (error) {
    if (signal?.aborted) throw abortedError(what, signal);
    throw transport.toError(error);
  } finally {
    signal?.removeEventListener('abort', cancel);
    call.cancel();
  }
}

function abortedError(what: string, signal: AbortSignal): TributaryError {
  return new TributaryError(Code.Cancelled, `${what} was aborted`, { cause: signal.reason });
}

function decodeBundle(bytes: Uint8Array): Bundle {
  try {
    return fromBinary(BundleSchema, bytes);
  } catch (error) {
    throw new TributaryError(
      Code.InvalidArgument,
      'the bytes given to registerDag are not a serialized Bundle',
      {
        cause: error,
      },
    );
  }
}

/** A backfill bound as epoch milliseconds; an invalid `Date` or a non-finite number is refused here. */
function epochMillis(value: Date | number, field: 'from' | 'to'): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (!Number.isFinite(ms))
    throw new TributaryError(
      Code.InvalidArgument,
      `backfill: '${field}' is not a valid date (${String(value)})`,
    );
  return ms;
}

function requireRun(response: { run?: Run | undefined }, rpc: string): Run {
  if (response.run === undefined)
    throw new TributaryError(Code.Internal, `the server's ${rpc} response has no run`);
  return response.run;
}
