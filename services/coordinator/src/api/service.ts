import { randomUUID } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Bus } from '@tributary/bus';
import { Code, isTerminalRunState, TributaryError } from '@tributary/core';
import { type Database, getRunRow, listRunRows, listWorkerRows } from '@tributary/db';
import {
  runStateFromProto,
  type ServiceImplementation,
  type TributaryService,
  type WatchRunResponseSchema,
} from '@tributary/proto';
import { validateParams } from '@tributary/spec';
import type { RunNotification } from '../tick-batch.js';
import type { WatchHub } from '../watch-hub.js';
import { AsyncQueue } from './async-queue.js';
import { dagVersionView } from './dag-view.js';
import { invalid } from './invalid.js';
import { decodePageToken, encodePageToken } from './page-token.js';
import { registerBundle } from './register-dag.js';
import { listRunViews, newRunView, readRunView, type WaitingOptions } from './run-view.js';
import { backfill, listDagViews, rejectedEvents, setPaused } from './schedule-api.js';
import { streamTaskLogs } from './task-logs.js';
import { workerViews } from './worker-view.js';
import type { WriteRoute } from './write-route.js';

export interface ServiceDeps {
  db: Database;
  bus: Bus;
  /** Where state changes go: the run loop when this coordinator leads, else the leader. */
  route: WriteRoute;
  hub: WatchHub;
  /** The coordinator's `heartbeatTimeoutMs`: a worker silent for longer is listed as unresponsive. */
  heartbeatTimeoutMs: number;
}

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The gRPC API. Reads come from Postgres on any coordinator; every state change goes through the run
 * loop of the leader, so a follower forwards those calls to it.
 */
export function createTributaryService(deps: ServiceDeps): ServiceImplementation<typeof TributaryService> {
  const { db, hub, route } = deps;
  return {
    async registerDag(request) {
      if (!request.bundle) throw invalid('bundle', 'is required');
      const { version, created } = await registerBundle(deps, request.bundle);
      // The leader counts a new `after` from now on, not from its scheduler's next pass.
      if (created) await route.localTerm?.afterIndex.reload(db);
      return { version: dagVersionView(version), created };
    },

    async listDags() {
      return { dags: await listDagViews(db, Date.now()) };
    },

    async triggerRun(request, call) {
      if (request.dag === '') throw invalid('dag', 'is required');
      // A traced caller's span: the run's span becomes its child (the caller's trace goes on).
      const callerTraceparent = call.metadata.get('traceparent')[0]?.toString();
      const target = await route.target();
      if ('remote' in target) return target.remote.unary('triggerRun', request, callerTraceparent);
      const { runs, loop } = target.local;
      const version = await runs.version(request.dag, request.version);
      if (!version) {
        throw new TributaryError(
          Code.NotFound,
          request.version
            ? `dag '${request.dag}' has no version ${request.version}`
            : `dag '${request.dag}' not found`,
        );
      }
      const checked = validateParams(version.model, request.params ?? {});
      if (checked.problems.length > 0) {
        throw new TributaryError(Code.InvalidArgument, `invalid params for dag '${request.dag}'`, {
          problems: checked.problems,
        });
      }
      const requestId = request.requestId === '' ? null : request.requestId;
      const parent = await checkParent(db, request.parentRunId, request.parentTaskId);
      const outcome = await loop.trigger({
        runId: randomUUID(),
        version,
        params: checked.params,
        requestId,
        ...(parent === undefined ? {} : { parent }),
        ...(callerTraceparent === undefined ? {} : { traceparent: callerTraceparent }),
      });
      const run = outcome.run
        ? newRunView(outcome.run.state, requestId, outcome.run.createdAt, parent)
        : await readRunView(db, outcome.runId, deps.bus.context);
      return { run: run ?? undefined, created: outcome.created };
    },

    async getRun(request) {
      return { run: await mustReadRun(db, deps.bus.context, request.runId, deps) };
    },

    async listRuns(request) {
      const limit = Math.min(request.pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
      const after = request.pageToken ? decodePageToken(request.pageToken) : undefined;
      const rows = await listRunRows(db, {
        ...(request.dag ? { dag: request.dag } : {}),
        limit: limit + 1,
        ...(after ? { after } : {}),
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        runs: await listRunViews(db, page),
        nextPageToken:
          rows.length > limit && last ? encodePageToken({ createdAt: last.createdAt, id: last.id }) : '',
      };
    },

    async *watchRun(request, _call, signal) {
      checkRunId(request.runId);
      // Changes are announced by the run loop that makes them: a follower relays the leader's stream.
      const target = await route.target();
      if ('remote' in target) {
        const call = target.remote.stream('watchRun', request);
        signal.addEventListener('abort', () => call.cancel(), { once: true });
        try {
          for await (const message of call) yield message as WatchEvent;
        } catch (error) {
          throw target.remote.toError(error);
        }
        return;
      }
      // Subscribe before reading the snapshot, so that no change falls between the two.
      const queue = new AsyncQueue<RunNotification>(signal);
      const unsubscribe = hub.subscribe(request.runId, (notification) => queue.push(notification));
      try {
        const snapshot = await mustReadRun(db, deps.bus.context, request.runId, deps);
        yield { event: { case: 'snapshot', value: snapshot } } satisfies WatchEvent;
        if (isTerminalRunState(runStateFromProto(snapshot.state!))) {
          yield { event: { case: 'finished', value: snapshot } };
          return;
        }
        for await (const notification of queue) {
          if (notification.type === 'task') {
            yield { event: { case: 'task', value: notification.event() } };
          } else if (notification.type === 'interrupted') {
            throw new TributaryError(
              Code.Unavailable,
              `the coordinator watching run ${request.runId} no longer leads; watch it again`,
            );
          } else {
            const finished = await mustReadRun(db, deps.bus.context, request.runId);
            // A clear may have made the run run again since it finished: then the stream goes on with
            // the cleared tasks' events, which the subscription has kept.
            if (!isTerminalRunState(runStateFromProto(finished.state))) continue;
            yield { event: { case: 'finished', value: finished } };
            return;
          }
        }
      } finally {
        unsubscribe();
      }
    },

    async cancelRun(request) {
      checkRunId(request.runId);
      const target = await route.target();
      if ('remote' in target) return target.remote.unary('cancelRun', request);
      const { runs, loop } = target.local;
      const existing = await runs.load(request.runId);
      if (!existing) throw new TributaryError(Code.NotFound, `run ${request.runId} not found`);
      await loop.cancel(request.runId, request.reason || 'cancelled through the API');
      return { run: await mustReadRun(db, deps.bus.context, request.runId) };
    },

    async clearTasks(request) {
      checkRunId(request.runId);
      if (request.taskIds.length === 0) throw invalid('task_ids', 'must name at least one task to clear');
      const target = await route.target();
      if ('remote' in target) return target.remote.unary('clearTasks', request);
      const { loop } = target.local;
      // The run loop loads the run, finished or not, and answers NOT_FOUND, INVALID_ARGUMENT (unknown
      // task) or FAILED_PRECONDITION (a task still queued, running or waiting for a retry).
      const cleared = await loop.clear(request.runId, {
        taskIds: request.taskIds,
        downstream: request.downstream,
        failedOnly: request.failedOnly,
      });
      return { run: await mustReadRun(db, deps.bus.context, request.runId), clearedTaskIds: cleared };
    },

    streamTaskLogs(request, _call, signal) {
      return streamTaskLogs(deps, request, signal);
    },

    async listWorkers(request) {
      const rows = await listWorkerRows(db, request.pool === '' ? {} : { pool: request.pool });
      return { workers: workerViews(rows, Date.now(), deps.heartbeatTimeoutMs) };
    },

    async setDagPaused(request) {
      return { dag: await setPaused(db, request.dag, request.paused) };
    },

    async backfill(request) {
      return { runs: await backfill(db, route, request) };
    },

    async listRejectedEvents(request) {
      return { events: await rejectedEvents(db, request) };
    },
  };
}

type WatchEvent = MessageInitShape<typeof WatchRunResponseSchema>;

function checkRunId(runId: string): void {
  if (runId === '') throw invalid('run_id', 'is required');
  if (!UUID.test(runId)) throw invalid('run_id', `'${runId}' is not a run id (a UUID)`);
}

async function mustReadRun(db: Database, contexts: Bus['context'], runId: string, waiting?: WaitingOptions) {
  checkRunId(runId);
  const run = await readRunView(db, runId, contexts, waiting);
  if (!run) throw new TributaryError(Code.NotFound, `run ${runId} not found`);
  return run;
}

/**
 * The parent of a run a dag task triggers: both fields or neither, and the run must exist (a child must
 * not point at nothing).
 */
async function checkParent(
  db: Database,
  parentRunId: string,
  parentTaskId: string,
): Promise<{ runId: string; taskId: string } | undefined> {
  if (parentRunId === '' && parentTaskId === '') return undefined;
  if (parentRunId === '') throw invalid('parent_run_id', 'is required with parent_task_id');
  if (parentTaskId === '') throw invalid('parent_task_id', 'is required with parent_run_id');
  if (!UUID.test(parentRunId)) throw invalid('parent_run_id', `'${parentRunId}' is not a run id (a UUID)`);
  if (!(await getRunRow(db, parentRunId))) throw invalid('parent_run_id', `run ${parentRunId} not found`);
  return { runId: parentRunId, taskId: parentTaskId };
}
