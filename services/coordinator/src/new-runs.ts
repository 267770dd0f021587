import { Code, type JsonObject, type RunType, TributaryError } from '@tributary/core';
import { applyEvent, createRunSnapshot, type Transition } from '@tributary/engine';
import { newRunTraceIds } from '@tributary/telemetry';
import type { ActiveRun, LoadedVersion } from './active-runs.js';
import { recordTransition } from './record-transition.js';
import { runSpanName } from './run-tracing.js';
import type { TickBatch } from './tick-batch.js';

/** A run to create. */
export interface NewRunRequest {
  runId: string;
  version: LoadedVersion;
  params: JsonObject;
  requestId: string | null;
  /** The run and task of the dag task that triggered this run, when one did. */
  parent?: { runId: string; taskId: string };
  /** The W3C traceparent of the caller's span, which the run's span is a child of. @default a new trace */
  traceparent?: string;
  /** How the run came to be and the data interval it covers. @default manual, covering its creation time */
  origin?: RunOrigin;
}

/** How a run came to be, and the data interval it covers. */
export interface RunOrigin {
  type: RunType;
  /** The start of the data interval (epoch ms). */
  logicalDate: number;
  /** Its end (epoch ms). */
  dataIntervalEnd: number;
}

/** Whether runs of this type are one per DAG and logical date (the `runs_one_per_logical_date` key). */
export function isIntervalRun(type: RunType): boolean {
  return type === 'scheduled' || type === 'backfill';
}

/**
 * Adds a new run to the tick: its row and task rows, and, when `start` (its DAG's `maxActiveRuns` had
 * room), its start. Otherwise the run is `queued`, with nothing to apply until the start sweep picks it.
 * The caller caches the run when it started.
 */
export function createRun(batch: TickBatch, request: NewRunRequest, start: boolean): ActiveRun {
  const { version } = request;
  const trace = newRunTraceIds(request.traceparent, runSpanName(version.dag));
  const run: ActiveRun = {
    id: request.runId,
    version,
    params: request.params,
    snapshot: { ...createRunSnapshot(version.plan), seed: request.runId },
    meta: new Map(),
    createdAt: batch.now,
    runType: request.origin?.type ?? 'manual',
    logicalDate: request.origin?.logicalDate ?? batch.now,
    dataIntervalEnd: request.origin?.dataIntervalEnd ?? batch.now,
    traceparent: trace.traceparent,
    traceParentSpanId: trace.parentSpanId,
  };
  batch.touchedRuns.add(run.id);
  batch.facts.runsCreated.push(run);
  version.model.tasks.forEach((task, position) => {
    // Absent from models stored before heartbeat_timeout existed: the coordinator's timeout then.
    const heartbeatTimeoutMs = task.heartbeatTimeoutMs ?? null;
    batch.newTasks.push({ runId: run.id, taskId: task.id, position, pool: task.pool, heartbeatTimeoutMs });
  });
  const started = start ? startEvent(batch, run) : undefined;
  if (!start) run.snapshot.state = 'queued';
  // The run row carries the deadline that `run_started` set; the deadline sweep reads it from there.
  batch.newRuns.push({
    id: run.id,
    dag: version.dag,
    dagVersion: version.version,
    params: run.params,
    requestId: request.requestId,
    parentRunId: request.parent?.runId ?? null,
    parentTaskId: request.parent?.taskId ?? null,
    createdAt: batch.now,
    deadlineAt: run.snapshot.deadlineAt ?? null,
    traceparent: run.traceparent,
    traceParentSpanId: run.traceParentSpanId,
    state: start ? 'running' : 'queued',
    runType: run.runType,
    logicalDate: run.logicalDate,
    dataIntervalEnd: run.dataIntervalEnd,
  });
  if (started) recordTransition(batch, run, started, {});
  return run;
}

/** Starts a queued run in the tick (its DAG's `maxActiveRuns` has room now). */
export function startQueuedRun(batch: TickBatch, run: ActiveRun): void {
  run.snapshot.state = 'running';
  const started = startEvent(batch, run);
  batch.startedRuns.push({ id: run.id, deadlineAt: run.snapshot.deadlineAt ?? null });
  recordTransition(batch, run, started, {});
}

function startEvent(batch: TickBatch, run: ActiveRun): Transition {
  return applyEvent(
    run.version.plan,
    run.snapshot,
    { type: 'run_started', at: batch.now },
    { taskSlots: batch.slotsFor(run.id, run.version) },
  );
}

/**
 * Runs of each DAG with a `maxActiveRuns` running now, counted at the start of a tick. The run loop is
 * the only writer of run states, so taking slots through the tick keeps the count exact.
 */
export class RunSlots {
  readonly #running: Map<string, number>;

  constructor(running: Map<string, number>) {
    this.#running = running;
  }

  /** Whether a run of `version` may start now; counts it as running when it may. */
  take(version: LoadedVersion): boolean {
    const limit = version.model.maxActiveRuns;
    if (limit == null) return true;
    const count = this.#running.get(version.dag) ?? 0;
    if (count >= limit) return false;
    this.#running.set(version.dag, count + 1);
    return true;
  }
}

/** Why a repeated `request_id` cannot answer with the earlier run, or null when it can. */
export function requestConflict(
  previous: { runId: string; dag: string; params: JsonObject },
  request: NewRunRequest,
): TributaryError | null {
  if (previous.dag !== request.version.dag) {
    return new TributaryError(
      Code.AlreadyExists,
      `request_id '${request.requestId}' was already used for run ${previous.runId} of dag '${previous.dag}', not '${request.version.dag}'`,
    );
  }
  if (JSON.stringify(canonical(previous.params)) !== JSON.stringify(canonical(request.params))) {
    return new TributaryError(
      Code.AlreadyExists,
      `request_id '${request.requestId}' was already used for run ${previous.runId} with different params`,
    );
  }
  return null;
}

/** JSON with object keys sorted, so that params compare by content. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}
