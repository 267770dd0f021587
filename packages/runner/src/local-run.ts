import { type Failure, type JsonObject, type RunState, toFailure } from '@tributary/core';
import {
  applyEvent,
  type Command,
  createPlan,
  createRunSnapshot,
  type EngineEvent,
  inputsOf,
  mapInstanceIds,
  mapInstanceRef,
  mapItemOf,
  type RunSnapshot,
  type TaskChange,
} from '@tributary/engine';
import { createMemoryContextStore, type ExecutionResult, type TaskExecutor } from '@tributary/executors';
import type { DataInterval } from '@tributary/schedule';
import { type DagModel, mapInstanceModel, type TaskModel } from '@tributary/spec';
import type { RunEvent, RunSummary, TaskStateEvent } from './events.js';
import { checkOutputSize } from './output-limit.js';

/** Everything one in-memory run needs. */
export interface LocalRunSetup {
  runId: string;
  dag: DagModel;
  /** Absolute path of the DAG folder. */
  bundleDir: string;
  /** Validated params, defaults applied. */
  params: JsonObject;
  /** Attempts executing at once; the rest wait in `queued`. */
  concurrency: number;
  /** Outputs larger than this (bytes of UTF-8 JSON) fail their attempt with `OutputTooLarge`. */
  outputMaxBytes: number;
  executor: TaskExecutor;
  onEvent: (event: RunEvent) => void;
  /**
   * The data interval the run processes; its start is the logical date (`run.logical_date`).
   * @default [start time, start time] of the run
   */
  dataInterval?: DataInterval;
  /** @default Date.now */
  now?: () => number;
}

/** One attempt being executed. */
interface Execution {
  attempt: number;
  controller: AbortController;
  /** Set when the engine asked for the attempt to stop: its result no longer matters to the engine. */
  cancelled: boolean;
}

/** How the last attempt of a task ended, to decorate the engine's change that follows it. */
interface AttemptEnding {
  attempt: number;
  durationMs: number;
  logTail: string[];
}

/**
 * One run driven in memory: it feeds events to the engine and carries out the engine's commands with
 * an executor and timers. It is the local twin of the coordinator's run loop; the engine alone decides
 * what happens next, so a DAG behaves here as it does on the cluster.
 */
export class LocalRun {
  private readonly plan: ReturnType<typeof createPlan>;
  private readonly snapshot: RunSnapshot;
  private readonly tasks: Map<string, TaskModel>;
  private readonly now: () => number;
  /** Events waiting to be applied: the engine sees one event at a time, in order. */
  private readonly inbox: EngineEvent[] = [];
  private draining = false;
  private pumping = false;
  /** Dispatched attempts waiting for a free slot, oldest first. */
  private waiting: { taskId: string; attempt: number }[] = [];
  private readonly executions = new Map<string, Execution>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly endings = new Map<string, AttemptEnding>();
  /** The run context every attempt of this run shares (`ctx.context`). */
  private readonly context = createMemoryContextStore();
  private startedAt = 0;
  private finalState: RunState | undefined;
  private listenerError: unknown;
  private settle: (() => void) | undefined;
  private readonly settled: Promise<void>;

  constructor(private readonly setup: LocalRunSetup) {
    this.plan = createPlan(setup.dag);
    this.snapshot = createRunSnapshot(this.plan);
    this.snapshot.seed = setup.runId;
    this.tasks = new Map(setup.dag.tasks.map((task) => [task.id, task]));
    this.now = setup.now ?? Date.now;
    this.settled = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /** Starts the run; resolves with its summary once it finished and every attempt has stopped. */
  async run(): Promise<RunSummary> {
    this.startedAt = this.now();
    this.emit({
      type: 'run',
      run: this.setup.runId,
      dag: this.setup.dag.name,
      state: 'running',
      at: this.startedAt,
    });
    this.post({ type: 'run_started', at: this.startedAt });
    await this.settled;
    if (this.listenerError !== undefined) throw this.listenerError;
    return this.summary();
  }

  /** Cancels the run: running attempts are aborted, nothing new starts. A finished run ignores it. */
  cancel(reason: string): void {
    if (this.finalState !== undefined) return;
    this.post({ type: 'run_cancelled', reason, at: this.now() });
  }

  private post(event: EngineEvent): void {
    this.inbox.push(event);
    // Commands can post events (a dispatch starts an attempt); queueing them keeps the engine's view
    // and the emitted progress in the order things happened.
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.inbox.shift(); next !== undefined; next = this.inbox.shift()) this.apply(next);
    } finally {
      this.draining = false;
    }
    this.pump();
  }

  private apply(event: EngineEvent): void {
    const transition = applyEvent(this.plan, this.snapshot, event);
    for (const change of transition.changes) this.emit(this.describe(change, event.at));
    for (const command of transition.commands) this.carryOut(command);
  }

  private carryOut(command: Command): void {
    switch (command.type) {
      case 'dispatch':
        this.waiting.push({ taskId: command.taskId, attempt: command.attempt });
        return;
      case 'schedule_retry': {
        const { taskId, attempt, at } = command;
        this.setTimer(taskId, at, () => ({ type: 'retry_due', taskId, attempt, at: this.now() }));
        return;
      }
      case 'schedule_queue_timeout': {
        // Local concurrency can keep an attempt waiting in `queued`. The timer is not cleared when the
        // attempt starts: the engine ignores it then. Keyed apart from the task's retry timer.
        const { taskId, attempt, at } = command;
        this.setTimer(`queue ${taskId}`, at, () => ({
          type: 'queue_timed_out',
          taskId,
          attempt,
          at: this.now(),
        }));
        return;
      }
      case 'schedule_run_timeout':
        // Keyed apart from task ids, which cannot contain a space.
        this.setTimer('run timeout', command.at, () => ({ type: 'run_timed_out', at: this.now() }));
        return;
      case 'cancel_attempt':
        this.stopAttempt(command.taskId, command.attempt);
        return;
      case 'finish_run':
        this.finish(command.state);
        return;
      // The engine keeps a fanned-out task's instances in the snapshot; there is nothing else to create.
      case 'expand_map':
      // A local run is never cleared, so it never reopens.
      case 'reopen_run':
        return;
    }
  }

  /** Posts the event `make` builds at `at` (epoch ms); a timer under the same key is replaced. */
  private setTimer(key: string, at: number, make: () => EngineEvent): void {
    clearTimeout(this.timers.get(key));
    const timer = setTimeout(
      () => {
        this.timers.delete(key);
        // A timer may fire a moment early; the engine ignores a deadline event before its time.
        this.post({ ...make(), at: Math.max(this.now(), at) });
      },
      Math.max(0, at - this.now()),
    );
    this.timers.set(key, timer);
  }

  private stopAttempt(taskId: string, attempt: number): void {
    this.waiting = this.waiting.filter((item) => item.taskId !== taskId || item.attempt !== attempt);
    const execution = this.executions.get(taskId);
    if (execution === undefined || execution.attempt !== attempt) return;
    execution.cancelled = true;
    execution.controller.abort();
  }

  private finish(state: RunState): void {
    this.finalState = state;
    this.snapshot.finishedAt ??= this.now();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.waiting = [];
    for (const [taskId, execution] of this.executions) this.stopAttempt(taskId, execution.attempt);
    const at = this.snapshot.finishedAt;
    this.emit({ type: 'run', run: this.setup.runId, dag: this.setup.dag.name, state, at });
    this.settleIfDone();
  }

  private settleIfDone(): void {
    if (this.finalState !== undefined && this.executions.size === 0) this.settle?.();
  }

  /** Starts waiting attempts while slots are free. */
  private pump(): void {
    // Starting an attempt posts an event, and posting pumps again: the flag keeps that from recursing.
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.finalState === undefined && this.executions.size < this.setup.concurrency) {
        const next = this.waiting.shift();
        if (next === undefined) return;
        this.startAttempt(next.taskId, next.attempt);
      }
    } finally {
      this.pumping = false;
    }
  }

  private startAttempt(taskId: string, attempt: number): void {
    const execution: Execution = { attempt, controller: new AbortController(), cancelled: false };
    this.executions.set(taskId, execution);
    this.post({ type: 'task_started', taskId, attempt, at: this.now() });
    // execute() never rejects: it turns every error into a task failure.
    void this.execute(taskId, execution);
  }

  private async execute(taskId: string, execution: Execution): Promise<void> {
    const { attempt, controller } = execution;
    const result = await this.attempt(taskId, attempt, controller.signal);
    this.executions.delete(taskId);
    this.endings.set(taskId, {
      attempt,
      durationMs: Math.max(0, result.finishedAt - result.startedAt),
      logTail: result.logTail,
    });
    const event = this.resultEvent(taskId, execution, result);
    if (event !== undefined && this.finalState === undefined) this.post(event);
    else this.pump();
    this.settleIfDone();
  }

  private async attempt(taskId: string, attempt: number, signal: AbortSignal): Promise<ExecutionResult> {
    const task = this.taskModel(taskId);
    const startedAt = this.now();
    try {
      if (task === undefined) throw new Error(`the engine dispatched unknown task '${taskId}'`);
      return await this.setup.executor.execute(
        {
          runId: this.setup.runId,
          taskId,
          attempt,
          task,
          bundleDir: this.setup.bundleDir,
          params: this.setup.params,
          inputs: inputsOf(this.snapshot, task),
          logicalDate: this.setup.dataInterval?.start ?? this.startedAt,
          dataIntervalEnd: this.setup.dataInterval?.end ?? this.startedAt,
        },
        {
          signal,
          onLog: (log) => this.emit({ type: 'log', task: taskId, attempt, ...log }),
          context: this.context,
        },
      );
    } catch (error) {
      // Executors return a task's own failure as data; a throw is the executor's failure, which
      // must still end the attempt or the run would never finish.
      return { outcome: 'failed', error: toFailure(error), startedAt, finishedAt: this.now(), logTail: [] };
    }
  }

  private resultEvent(
    taskId: string,
    execution: Execution,
    result: ExecutionResult,
  ): EngineEvent | undefined {
    const { attempt } = execution;
    const at = result.finishedAt;
    switch (result.outcome) {
      case 'succeeded': {
        const output = result.output ?? null;
        // The workers' hard limit, so that a DAG fails here as it would on the cluster.
        const tooLarge = checkOutputSize(taskId, output, this.setup.outputMaxBytes);
        if (tooLarge !== undefined) {
          return { type: 'task_failed', taskId, attempt, reason: 'error', error: tooLarge, at };
        }
        return { type: 'task_succeeded', taskId, attempt, output, at };
      }
      case 'timed_out':
        return { type: 'task_failed', taskId, attempt, reason: 'timed_out', error: failureOf(result), at };
      case 'cancelled':
        // The engine already settled an attempt it asked to cancel; any other cancel is a failure.
        if (execution.cancelled) return undefined;
        return { type: 'task_failed', taskId, attempt, reason: 'error', error: failureOf(result), at };
      case 'failed':
        return { type: 'task_failed', taskId, attempt, reason: 'error', error: failureOf(result), at };
      case 'skipped':
        return result.error === undefined
          ? { type: 'task_skipped', taskId, attempt, at }
          : { type: 'task_skipped', taskId, attempt, reason: result.error, at };
      case 'rescheduled':
        return { type: 'task_rescheduled', taskId, attempt, at };
    }
  }

  /** The model of a task, or of a mapped task's instance: its task's, with its index and item. */
  private taskModel(taskId: string): TaskModel | undefined {
    const ref = mapInstanceRef(this.plan, taskId);
    if (ref === undefined) return this.tasks.get(taskId);
    const item = mapItemOf(this.plan, this.snapshot, taskId);
    const task = this.tasks.get(ref.taskId);
    return task === undefined || item === undefined ? undefined : mapInstanceModel(task, ref.index, item);
  }

  private describe(change: TaskChange, at: number): TaskStateEvent {
    const { taskId, to, attempt } = change;
    const event: TaskStateEvent = { type: 'task', task: taskId, state: to, attempt, at };
    const instance = this.snapshot.tasks[taskId];
    const ending = this.endings.get(taskId);
    if (ending !== undefined && ending.attempt === attempt && change.from === 'running') {
      event.durationMs = ending.durationMs;
      if (to !== 'succeeded' && ending.logTail.length > 0) event.logTail = ending.logTail;
    }
    if (to === 'succeeded' && instance?.output !== undefined) event.output = instance.output;
    const explained = to === 'failed' || to === 'up_for_retry' || to === 'skipped' || to === 'cancelled';
    if (explained && instance?.error !== undefined) event.error = instance.error;
    const waiting = to === 'up_for_retry' || to === 'up_for_reschedule';
    if (waiting && instance?.retryAt !== undefined) event.retryAt = instance.retryAt;
    return event;
  }

  private emit(event: RunEvent): void {
    try {
      this.setup.onEvent(event);
    } catch (error) {
      // A throwing listener must not corrupt the run; the run ends and run() rethrows the first error.
      if (this.listenerError === undefined) {
        this.listenerError = error;
        queueMicrotask(() => this.cancel('the progress listener threw'));
      }
    }
  }

  private summary(): RunSummary {
    const tasks: RunSummary['tasks'] = {};
    // Each fanned-out task is followed by its instances, in order.
    const ids = this.setup.dag.tasks.flatMap((task) => [task.id, ...mapInstanceIds(this.snapshot, task.id)]);
    for (const id of ids) {
      const instance = this.snapshot.tasks[id];
      if (instance === undefined) continue;
      const summary: RunSummary['tasks'][string] = { state: instance.state, attempts: instance.attempt };
      if (instance.output !== undefined) summary.output = instance.output;
      if (instance.error !== undefined) summary.error = instance.error;
      if (instance.mapCount !== undefined) summary.mapCount = instance.mapCount;
      tasks[id] = summary;
    }
    const { runId, dag } = this.setup;
    const finishedAt = this.snapshot.finishedAt ?? this.now();
    return {
      run: {
        id: runId,
        dag: dag.name,
        state: this.finalState ?? this.snapshot.state,
        startedAt: this.startedAt,
        finishedAt,
        ...(this.setup.dataInterval === undefined ? {} : { dataInterval: this.setup.dataInterval }),
      },
      tasks,
      context: this.context.snapshot(),
    };
  }
}

function failureOf(result: ExecutionResult): Failure {
  return result.error ?? { message: `the task ended ${result.outcome}`, type: 'TaskError', retryable: true };
}
