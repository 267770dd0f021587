import type { Bus } from '@tributary/bus';
import type { Logger } from '@tributary/core';
import { Code, type JsonObject, TributaryError } from '@tributary/core';
import {
  type AfterEventWrite,
  type AttemptKey,
  countActiveTasks,
  countRunningRuns,
  type Database,
  deleteAfterEvents,
  deleteOutbox,
  findRunsByLogicalDates,
  findRunsByRequestIds,
  finishRuns,
  insertOutbox,
  insertRuns,
  insertTaskInstances,
  isLeaseLost,
  type OutboxMessage,
  pipelinedTransaction,
  renewLeaseOrAbort,
  reopenRuns,
  type ScheduleStateWrite,
  startRuns,
  updateTaskInstances,
  upsertAfterEvents,
  upsertAttempts,
  writeScheduleStates,
} from '@tributary/db';
import { applyEvent, type ClearSelection, type EngineEvent, selectTasksToClear } from '@tributary/engine';
import type { WorkerEvent } from '@tributary/proto';
import type { ActiveRun, ActiveRuns } from './active-runs.js';
import type { AfterIndex } from './after-index.js';
import { DagTaskSlots } from './dag-task-slots.js';
import type { Term } from './leadership.js';
import {
  createRun,
  isIntervalRun,
  type NewRunRequest,
  RunSlots,
  requestConflict,
  startQueuedRun,
} from './new-runs.js';
import { addDispatch, recordTransition, type TransitionContext } from './record-transition.js';
import { publishTasksTraced } from './run-tracing.js';
import { TickBatch } from './tick-batch.js';
import type { TickObserver } from './tick-facts.js';
import type { WatchHub } from './watch-hub.js';
import { translateWorkerEvent } from './worker-events.js';

export type { NewRunRequest } from './new-runs.js';

/** What a trigger resolved to: the new run, or the earlier run with the same request id. */
export interface TriggerOutcome {
  runId: string;
  created: boolean;
  /** The run as created, and when (only when created). */
  run?: { state: ActiveRun; createdAt: number };
}

/**
 * What the scheduler (schedules, event and after triggers) writes at once: the runs it starts, cancels
 * and the state that says it handled them, all in one transaction, so that a crash leaves either all or
 * none of it.
 */
export interface SchedulePass {
  runs: readonly NewRunRequest[];
  states: readonly ScheduleStateWrite[];
  /** Runs to cancel first (the cancel_previous overlap policy), with the reason they get. */
  cancels: readonly { runId: string; reason: string }[];
  /** Recorded successes the pass's after-triggered runs use up. */
  afterConsumed: readonly AfterEventWrite[];
}

/** An engine event from a timer (retry due, task lost), with its run. */
export interface TimerEvent {
  runId: string;
  event: EngineEvent;
  context: TransitionContext;
}

type Input =
  | { kind: 'worker_events'; events: readonly WorkerEvent[]; settle: Settle<void> }
  | { kind: 'trigger'; request: NewRunRequest; settle: Settle<TriggerOutcome> }
  | { kind: 'schedule'; pass: SchedulePass; settle: Settle<TriggerOutcome[]> }
  | { kind: 'cancel'; runId: string; reason: string; settle: Settle<boolean> }
  | { kind: 'clear'; runId: string; selection: ClearSelection; settle: Settle<string[]> }
  | { kind: 'timer_events'; events: readonly TimerEvent[]; settle: Settle<void> }
  | { kind: 'start_queued'; runIds: readonly string[]; settle: Settle<void> }
  | { kind: 'wake'; runIds: readonly string[]; settle: Settle<void> }
  | { kind: 'republish'; attempts: readonly AttemptKey[]; settle: Settle<number> };

/** Runs the tick's inputs name, as loaded before it applies anything; null for a run that does not exist. */
type LoadedRuns = ReadonlyMap<string, ActiveRun | null>;

interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** The leader term a run loop writes for, and how its writes keep the term's lease. */
export interface LoopFence extends Term {
  lease: string;
  ttlMs: number;
  /** A transaction renewed the lease; `from` is performance.now() when it began. */
  onRenewed(from: number): void;
}

/** Told how long the run loop's round trips took, in seconds (metrics). */
export interface LoopTimings {
  /** A tick's transaction, from BEGIN to COMMIT or failure. */
  transaction(seconds: number): void;
  /** A tick's task messages, from publishing until JetStream acked them all (successful publishes only). */
  publish(seconds: number): void;
}

export interface RunLoopDeps {
  db: Database;
  bus: Bus;
  runs: ActiveRuns;
  hub: WatchHub;
  logger: Logger;
  /**
   * Most attempts one tick dispatches: a burst of ready tasks (a wide fan-out, many runs starting) goes
   * out over several ticks, each a bounded transaction and publish, so memory stays flat and heartbeats
   * and results keep flowing in between. @default unlimited
   */
  maxDispatchesPerTick?: number;
  /** Told what each committed tick did: tracing and metrics. @default none */
  observers?: readonly TickObserver[];
  /** Told how long transactions and publishes took. @default none */
  timings?: LoopTimings;
  /** Test-only (see `UnsafeSwitches.disableFencing`). @default false */
  disableFencing?: boolean;
  /**
   * The leader term this loop writes for: every tick's transaction checks that the term still holds the
   * lease, so a deposed leader (paused, cut off) can never write again. Absent only in tests.
   */
  fence?: LoopFence;
  /** Which DAGs wait (`after`) for which tasks' successes; the tick records those successes. @default none */
  afterIndex?: AfterIndex;
}

/**
 * The single writer of run state. Inputs (worker events, triggers, cancels, clears, timers) queue up while a
 * tick is in flight, and the next tick takes them all: the engine applies them in memory, one
 * transaction writes every change of the tick (a statement per kind, not per task), and only after
 * it commits are task messages published, watchers told and callers answered. A crash between
 * commit and publish leaves outbox rows that the relay publishes again.
 */
export class RunLoop {
  readonly #deps: RunLoopDeps;
  #queue: Input[] = [];
  #wake: (() => void) | null = null;
  #stopping = false;
  #done: Promise<void> | null = null;
  readonly #publishing = new Set<Promise<void>>();
  /**
   * Outbox rows whose task messages JetStream confirmed, not yet deleted: the next tick's transaction
   * deletes them with its own writes (a chain hop would otherwise pay a third commit for it), or the
   * relay does before it looks for rows left behind.
   */
  #published: number[] = [];

  constructor(deps: RunLoopDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#done ??= this.#loop();
  }

  /** Stops taking inputs, finishes the queued ones and waits for publishes in flight. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#done;
    await Promise.allSettled(this.#publishing);
    await this.deletePublishedOutbox().catch((error: unknown) => {
      // The next leader's relay publishes them again; JetStream drops the duplicates.
      this.#deps.logger.warn('deleting published outbox rows failed', { error: String(error) });
    });
  }

  /** Deletes the outbox rows of confirmed publishes that no tick has deleted yet (the relay's first step). */
  async deletePublishedOutbox(): Promise<void> {
    await this.#deletingPublished((ids) => deleteOutbox(this.#deps.db.sql, ids));
  }

  /** Hands the confirmed outbox ids to `write`, which deletes them; they come back if it fails. */
  async #deletingPublished<T>(write: (ids: readonly number[]) => Promise<T>): Promise<T> {
    const ids = this.#published;
    this.#published = [];
    try {
      return await write(ids);
    } catch (error) {
      this.#published = ids.concat(this.#published);
      throw error;
    }
  }

  applyWorkerEvents(events: readonly WorkerEvent[]): Promise<void> {
    return this.#submit<void>((settle) => ({ kind: 'worker_events', events, settle }));
  }

  trigger(request: NewRunRequest): Promise<TriggerOutcome> {
    return this.#submit<TriggerOutcome>((settle) => ({ kind: 'trigger', request, settle }));
  }

  /**
   * Applies a scheduler pass in one tick. Resolves with an outcome per run, in order: a run whose DAG
   * and logical date (scheduled, backfill) or request id (event, after) already has one answers with
   * that run, `created` false.
   */
  schedule(pass: SchedulePass): Promise<TriggerOutcome[]> {
    return this.#submit<TriggerOutcome[]>((settle) => ({ kind: 'schedule', pass, settle }));
  }

  /** Cancels a run; resolves false when the run had already finished. */
  cancel(runId: string, reason: string): Promise<boolean> {
    return this.#submit<boolean>((settle) => ({ kind: 'cancel', runId, reason, settle }));
  }

  /**
   * Resets finished tasks of a run to run again (see `selectTasksToClear`); a finished run runs again.
   * Resolves with the ids of the tasks cleared, in topological order, once that is committed. Rejects
   * with `NotFound` for an unknown run, and with the selection's error (`InvalidArgument` for unknown
   * task ids, `FailedPrecondition` for tasks still out).
   */
  clear(runId: string, selection: ClearSelection): Promise<string[]> {
    return this.#submit<string[]>((settle) => ({ kind: 'clear', runId, selection, settle }));
  }

  /** Starts queued runs whose DAG's `maxActiveRuns` has room now (checked again here, in the tick). */
  startQueuedRuns(runIds: readonly string[]): Promise<void> {
    return this.#submit<void>((settle) => ({ kind: 'start_queued', runIds, settle }));
  }

  /**
   * Lets running runs dispatch what their DAG's `max_active_tasks` held back, if it has room now. The
   * loop does this itself within a tick as slots free up; this serves runs nothing else would touch
   * (after a coordinator restart).
   */
  wakeRuns(runIds: readonly string[]): Promise<void> {
    return this.#submit<void>((settle) => ({ kind: 'wake', runIds, settle }));
  }

  /**
   * Publishes the task messages of these attempts again, for those still queued at that attempt: their
   * first message was lost with the broker's data. Resolves with how many were published again.
   */
  republish(attempts: readonly AttemptKey[]): Promise<number> {
    return this.#submit<number>((settle) => ({ kind: 'republish', attempts, settle }));
  }

  applyTimerEvents(events: readonly TimerEvent[]): Promise<void> {
    return this.#submit<void>((settle) => ({ kind: 'timer_events', events, settle }));
  }

  #submit<T>(make: (settle: Settle<T>) => Input): Promise<T> {
    if (this.#stopping)
      return Promise.reject(new TributaryError(Code.Unavailable, 'the coordinator is stopping'));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push(make({ resolve, reject }));
      this.#wake?.();
    });
  }

  async #loop(): Promise<void> {
    for (;;) {
      if (this.#queue.length === 0) {
        if (this.#stopping) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = null;
        continue;
      }
      const inputs = this.#queue;
      this.#queue = [];
      await this.#tick(inputs);
    }
  }

  async #tick(inputs: Input[]): Promise<void> {
    let batch = new TickBatch(Date.now());
    const answers: (() => void)[] = [];
    try {
      const loaded = await this.#preload(inputs);
      batch = new TickBatch(
        batch.now,
        await this.#countTaskSlots(inputs, loaded),
        this.#deps.maxDispatchesPerTick,
      );
      const slots = await this.#countRunning(inputs, loaded);
      await this.#applyTriggers(batch, inputs, answers, slots);
      this.#startQueued(batch, inputs, answers, loaded, slots);
      for (const input of inputs) this.#applyInput(batch, input, answers, loaded);
      this.#wakeRunsWithFreedSlots(batch);
      const outboxIds = batch.isEmpty ? [] : await this.#persistTimed(batch);
      this.#afterCommit(batch, outboxIds);
      for (const answer of answers) answer();
    } catch (error) {
      // The in-memory state of the touched runs is now ahead of the database: drop it so the next
      // touch reloads the truth. Worker events are nak'd by the bus and come back.
      for (const runId of batch.touchedRuns) this.#deps.runs.evict(runId);
      this.#deps.logger.error('run loop tick failed', { error: String(error), inputs: inputs.length });
      for (const input of inputs) input.settle.reject(error);
    }
  }

  /**
   * Loads every run the inputs name, in parallel, before the tick applies anything. Running runs land in
   * the cache; finished ones only in the returned map, which a clear needs (it makes them run again).
   */
  async #preload(inputs: readonly Input[]): Promise<LoadedRuns> {
    const ids = new Set<string>();
    for (const input of inputs) {
      if (input.kind === 'worker_events')
        for (const event of input.events) if (event.ref) ids.add(event.ref.runId);
      if (input.kind === 'timer_events') for (const event of input.events) ids.add(event.runId);
      if (input.kind === 'cancel' || input.kind === 'clear') ids.add(input.runId);
      if (input.kind === 'schedule') for (const { runId } of input.pass.cancels) ids.add(runId);
      if (input.kind === 'start_queued' || input.kind === 'wake') for (const id of input.runIds) ids.add(id);
      if (input.kind === 'republish') for (const key of input.attempts) ids.add(key.runId);
    }
    const runs = await Promise.all([...ids].map((id) => this.#deps.runs.load(id)));
    return new Map([...ids].map((id, i) => [id, runs[i] ?? null]));
  }

  /**
   * How many runs of each DAG with a `maxActiveRuns` are running, for the DAGs this tick may start runs
   * of. The loop is the only writer of run states, so the count stays exact through the tick.
   */
  async #countRunning(inputs: readonly Input[], loaded: LoadedRuns): Promise<RunSlots> {
    const dags = new Set<string>();
    for (const input of inputs) {
      for (const request of requestsOf(input))
        if (request.version.model.maxActiveRuns != null) dags.add(request.version.dag);
      if (input.kind === 'start_queued')
        for (const id of input.runIds) {
          const run = loaded.get(id);
          if (run) dags.add(run.version.dag);
        }
    }
    return new RunSlots(await countRunningRuns(this.#deps.db.sql, [...dags]));
  }

  /**
   * The task slots of the DAGs limited across their runs (`max_active_tasks`) that this tick may
   * change: those of every run it loaded or creates, which are all the runs it can touch.
   */
  async #countTaskSlots(inputs: readonly Input[], loaded: LoadedRuns): Promise<DagTaskSlots> {
    const dags = new Set<string>();
    for (const run of loaded.values())
      if (run?.version.model.maxActiveTasks != null) dags.add(run.version.dag);
    for (const input of inputs)
      for (const request of requestsOf(input))
        if (request.version.model.maxActiveTasks != null) dags.add(request.version.dag);
    return new DagTaskSlots(await countActiveTasks(this.#deps.db.sql, [...dags]));
  }

  /** Runs of DAGs that got task slots back in this tick dispatch what they held back, oldest first. */
  #wakeRunsWithFreedSlots(batch: TickBatch): void {
    for (const dag of batch.taskSlots.freedDags()) {
      for (const run of this.#deps.runs.runsOf(dag)) {
        this.#applyEngineEvent(batch, run.id, { type: 'slots_freed', at: batch.now }, {});
      }
    }
  }

  #startQueued(
    batch: TickBatch,
    inputs: readonly Input[],
    answers: (() => void)[],
    loaded: LoadedRuns,
    slots: RunSlots,
  ): void {
    for (const input of inputs) {
      if (input.kind !== 'start_queued') continue;
      for (const id of input.runIds) {
        const run = loaded.get(id);
        if (run?.snapshot.state !== 'queued' || !slots.take(run.version)) continue;
        startQueuedRun(batch, run);
        this.#deps.runs.add(run);
      }
      answers.push(() => input.settle.resolve());
    }
  }

  /**
   * Creates the runs of the tick's triggers and scheduler passes. A repeated request id answers with the
   * earlier run (an error for a TriggerRun whose DAG or params differ); a scheduled or backfill run whose
   * DAG and logical date already have one answers with that run.
   */
  async #applyTriggers(
    batch: TickBatch,
    inputs: readonly Input[],
    answers: (() => void)[],
    slots: RunSlots,
  ): Promise<void> {
    const requests = inputs.flatMap(requestsOf);
    const requestIds = requests.flatMap((r) => (r.requestId ? [r.requestId] : []));
    const intervalKeys = requests.flatMap((r) =>
      r.origin && isIntervalRun(r.origin.type)
        ? [{ dag: r.version.dag, logicalDate: r.origin.logicalDate }]
        : [],
    );
    const [byRequestId, byLogicalDate] = await Promise.all([
      findRunsByRequestIds(this.#deps.db, requestIds),
      findRunsByLogicalDates(this.#deps.db, intervalKeys),
    ]);
    const earlier = new Map<string, { runId: string; dag: string; params: JsonObject }>();
    for (const row of byRequestId)
      earlier.set(row.requestId!, { runId: row.id, dag: row.dag, params: row.params });
    const earlierInterval = new Map<string, string>();
    for (const row of byLogicalDate)
      earlierInterval.set(intervalKey(row.dag, row.logicalDate.getTime()), row.id);
    const create = (request: NewRunRequest, strict: boolean): TriggerOutcome | TributaryError => {
      const key =
        request.origin && isIntervalRun(request.origin.type)
          ? intervalKey(request.version.dag, request.origin.logicalDate)
          : undefined;
      const sameInterval = key === undefined ? undefined : earlierInterval.get(key);
      if (sameInterval !== undefined) return { runId: sameInterval, created: false };
      const previous = request.requestId ? earlier.get(request.requestId) : undefined;
      if (previous) {
        const conflict = strict ? requestConflict(previous, request) : null;
        return conflict ?? { runId: previous.runId, created: false };
      }
      const run = createRun(batch, request, slots.take(request.version));
      if (run.snapshot.state === 'running') this.#deps.runs.add(run);
      if (request.requestId)
        earlier.set(request.requestId, { runId: run.id, dag: run.version.dag, params: run.params });
      if (key !== undefined) earlierInterval.set(key, run.id);
      return { runId: run.id, created: true, run: { state: run, createdAt: batch.now } };
    };
    for (const input of inputs) {
      if (input.kind === 'trigger') {
        const outcome = create(input.request, true);
        answers.push(() =>
          outcome instanceof TributaryError ? input.settle.reject(outcome) : input.settle.resolve(outcome),
        );
      }
      if (input.kind === 'schedule') {
        const outcomes = input.pass.runs.map((request) => create(request, false) as TriggerOutcome);
        batch.scheduleStates.push(...input.pass.states);
        batch.afterConsumed.push(...input.pass.afterConsumed);
        answers.push(() => input.settle.resolve(outcomes));
      }
    }
  }

  #applyInput(batch: TickBatch, input: Input, answers: (() => void)[], loaded: LoadedRuns): void {
    switch (input.kind) {
      case 'trigger':
        return;
      case 'schedule':
        // Its runs were created with the other triggers; what it cancels is cancelled here.
        for (const { runId, reason } of input.pass.cancels) {
          const queued = loaded.get(runId);
          if (queued?.snapshot.state === 'queued') this.#deps.runs.add(queued);
          this.#applyEngineEvent(batch, runId, { type: 'run_cancelled', reason, at: batch.now }, {});
        }
        return;
      case 'worker_events':
        for (const message of input.events) {
          const translated = translateWorkerEvent(message, batch.now);
          if (translated)
            this.#applyEngineEvent(batch, translated.runId, translated.event, translated.context);
        }
        answers.push(() => input.settle.resolve());
        return;
      case 'timer_events':
        for (const { runId, event, context } of input.events)
          this.#applyEngineEvent(batch, runId, event, context);
        answers.push(() => input.settle.resolve());
        return;
      case 'cancel': {
        // A queued run is not cached (nothing happens to it until it starts), but it can be cancelled.
        const queued = loaded.get(input.runId);
        if (queued?.snapshot.state === 'queued') this.#deps.runs.add(queued);
        const run = this.#deps.runs.get(input.runId);
        const applied = run
          ? this.#applyEngineEvent(
              batch,
              input.runId,
              { type: 'run_cancelled', reason: input.reason, at: batch.now },
              {},
            )
          : false;
        answers.push(() => input.settle.resolve(applied));
        return;
      }
      case 'start_queued':
        return;
      case 'wake':
        for (const runId of input.runIds)
          this.#applyEngineEvent(batch, runId, { type: 'slots_freed', at: batch.now }, {});
        answers.push(() => input.settle.resolve());
        return;
      case 'clear':
        this.#applyClear(batch, input, answers, loaded);
        return;
      case 'republish': {
        let count = 0;
        for (const { runId, taskId, attempt } of input.attempts) {
          const run = this.#deps.runs.get(runId);
          const task = run?.snapshot.tasks[taskId];
          if (run === undefined || task?.state !== 'queued' || task.attempt !== attempt) continue;
          batch.touchedRuns.add(runId);
          addDispatch(batch, run, taskId, attempt);
          count++;
        }
        answers.push(() => input.settle.resolve(count));
        return;
      }
    }
  }

  /**
   * Clears tasks of a run, running or finished. A bad request rejects only its own call; the rest of
   * the tick goes on. A finished run is not in the cache (only running runs are): once cleared it runs
   * again, so it joins the cache here, and the tick's failure path evicts it like any touched run.
   */
  #applyClear(
    batch: TickBatch,
    input: Extract<Input, { kind: 'clear' }>,
    answers: (() => void)[],
    loaded: LoadedRuns,
  ): void {
    // The cache first: an earlier input of this tick may have changed (or reopened) the run.
    const run = this.#deps.runs.get(input.runId) ?? loaded.get(input.runId);
    if (!run) {
      answers.push(() =>
        input.settle.reject(new TributaryError(Code.NotFound, `run ${input.runId} not found`)),
      );
      return;
    }
    let taskIds: string[];
    try {
      taskIds = selectTasksToClear(run.version.plan, run.snapshot, input.selection);
    } catch (error) {
      answers.push(() => input.settle.reject(error));
      return;
    }
    // Nothing selected (only pending tasks, or no failures with failedOnly) changes nothing.
    const transition =
      taskIds.length > 0
        ? applyEvent(
            run.version.plan,
            run.snapshot,
            { type: 'tasks_cleared', taskIds, at: batch.now },
            { taskSlots: batch.slotsFor(run.id, run.version) },
          )
        : null;
    if (transition?.applied) {
      this.#deps.runs.add(run);
      recordTransition(batch, run, transition, {});
    }
    const cleared = transition?.applied ? taskIds : [];
    answers.push(() => input.settle.resolve(cleared));
  }

  /** Applies one event to a cached run; stale events and unknown or finished runs are dropped. */
  #applyEngineEvent(
    batch: TickBatch,
    runId: string,
    event: EngineEvent,
    context: TransitionContext,
  ): boolean {
    const run = this.#deps.runs.get(runId);
    if (!run) return false;
    const transition = applyEvent(run.version.plan, run.snapshot, event, {
      taskSlots: batch.slotsFor(run.id, run.version),
      unsafeDisableFencing: this.#deps.disableFencing === true,
    });
    if (!transition.applied) return false;
    recordTransition(batch, run, transition, context);
    return true;
  }

  /** `#persist`, timed whether it commits or fails (a failure is a round trip too). */
  async #persistTimed(batch: TickBatch): Promise<number[]> {
    const from = performance.now();
    try {
      return await this.#persist(batch);
    } finally {
      this.#deps.timings?.transaction((performance.now() - from) / 1000);
    }
  }

  async #persist(batch: TickBatch): Promise<number[]> {
    const { fence } = this.#deps;
    // The lease is renewed from when the transaction began, at the latest.
    const renewedFrom = performance.now();
    const outboxIds = await this.#deletingPublished((published) =>
      pipelinedTransaction(this.#deps.db.sql, (tx) =>
        // Sent together with BEGIN and COMMIT, one round trip; the server runs them in this order (the
        // lease check and renewal first, runs before their tasks, tasks before their attempts). A
        // failed lease check aborts the transaction: everything after it rolls back. Not async: a
        // statement that cannot be built throws here, and the transaction is rolled back.
        Promise.all([
          fence
            ? renewLeaseOrAbort(tx, {
                name: fence.lease,
                session: fence.session,
                epoch: fence.epoch,
                ttlMs: fence.ttlMs,
              })
            : undefined,
          insertRuns(tx, batch.newRuns),
          insertTaskInstances(tx, batch.newTasks),
          updateTaskInstances(tx, [...batch.tasks.values()]),
          upsertAttempts(tx, [...batch.attempts.values()]),
          finishRuns(tx, [...batch.finishedRuns.values()]),
          reopenRuns(tx, [...batch.reopenedRuns.values()]),
          startRuns(tx, batch.startedRuns),
          insertOutbox(tx, batch.dispatches),
          deleteOutbox(tx, published),
          writeScheduleStates(tx, batch.scheduleStates),
          deleteAfterEvents(tx, batch.afterConsumed),
          upsertAfterEvents(tx, this.#afterEventsOf(batch)),
        ]).then(([, , , , , , , , ids]) => ids),
      ).catch((error: unknown) => {
        if (!isLeaseLost(error)) throw error;
        throw new TributaryError(
          Code.Unavailable,
          `this coordinator no longer leads (epoch ${fence?.epoch})`,
          {
            cause: error,
          },
        );
      }),
    );
    fence?.onRenewed(renewedFrom);
    return outboxIds;
  }

  /** The successes of this tick that some DAG's `after` waits for. */
  #afterEventsOf(batch: TickBatch): AfterEventWrite[] {
    const index = this.#deps.afterIndex;
    if (index === undefined || index.isEmpty) return [];
    return batch.facts.tasksFinished.flatMap(({ run, taskId, state }) =>
      state !== 'succeeded'
        ? []
        : index.waitingFor(run.version.dag, taskId).map((dag) => ({
            dag,
            sourceDag: run.version.dag,
            sourceTask: taskId,
            sourceRunId: run.id,
            succeededAt: batch.now,
          })),
    );
  }

  #afterCommit(batch: TickBatch, outboxIds: number[]): void {
    // Runs whose ready attempts did not fit in this tick go on in the next one.
    if (batch.throttledRuns.size > 0) {
      this.#deps.logger.info('tick dispatch budget spent; the rest goes out next tick', {
        runs: batch.throttledRuns.size,
        dispatched: batch.dispatches.length,
      });
      void this.wakeRuns([...batch.throttledRuns]).catch(() => undefined);
    }
    if (batch.dispatches.length > 0) this.#publish(batch.dispatches, outboxIds);
    for (const notice of batch.cancels) this.#deps.bus.publishCancel(notice);
    this.#deps.hub.publish(batch.notifications);
    for (const observer of this.#deps.observers ?? []) {
      try {
        observer.observe(batch.facts);
      } catch (error) {
        // Telemetry never stops the run loop: what it missed is a gap in a trace or a metric.
        this.#deps.logger.warn('tick observer failed', { error: String(error) });
      }
    }
    for (const id of batch.finishedRuns.keys()) this.#deps.runs.evict(id);
  }

  /** Publishes a committed tick's task messages; their outbox rows go with a later tick's writes. Not
   *  awaited by the loop: the next tick proceeds meanwhile; a failure leaves the rows for the relay. */
  #publish(dispatches: readonly OutboxMessage[], outboxIds: readonly number[]): void {
    const { bus, logger } = this.#deps;
    const publishing = (async () => {
      try {
        const publishedFrom = performance.now();
        await publishTasksTraced(bus, dispatches);
        this.#deps.timings?.publish((performance.now() - publishedFrom) / 1000);
        for (const id of outboxIds) this.#published.push(id);
      } catch (error) {
        logger.warn('publishing task messages failed; the outbox relay will retry', {
          error: String(error),
          count: dispatches.length,
        });
      }
    })();
    this.#publishing.add(publishing);
    void publishing.finally(() => this.#publishing.delete(publishing));
  }
}

/** The runs an input asks to create. */
function requestsOf(input: Input): readonly NewRunRequest[] {
  if (input.kind === 'trigger') return [input.request];
  if (input.kind === 'schedule') return input.pass.runs;
  return [];
}

function intervalKey(dag: string, logicalDate: number): string {
  return `${dag}@${logicalDate}`;
}
