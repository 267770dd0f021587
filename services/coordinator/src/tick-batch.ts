import type { MessageInitShape } from '@bufbuild/protobuf';
import type { RunState } from '@tributary/core';
import type {
  AfterEventWrite,
  AttemptWrite,
  NewRun,
  NewTaskInstance,
  OutboxMessage,
  ReopenedRun,
  ScheduleStateWrite,
  TaskInstanceWrite,
} from '@tributary/db';
import type { TaskSlots } from '@tributary/engine';
import type { CancelNoticeSchema, TaskEventSchema } from '@tributary/proto';
import type { ActiveRun, LoadedVersion } from './active-runs.js';
import { DagTaskSlots } from './dag-task-slots.js';
import { TickFacts } from './tick-facts.js';

/** A task change as WatchRun streams it. */
export type TaskEventInit = MessageInitShape<typeof TaskEventSchema>;

/** A change to report to watchers of a run once the tick committed. */
export type RunNotification =
  /** `event` builds the message: called only for runs with watchers. */
  | { runId: string; type: 'task'; event: () => TaskEventInit }
  | { runId: string; type: 'finished'; state: RunState }
  /** This coordinator stopped leading: its watchers must watch again (through the new leader). */
  | { runId: string; type: 'interrupted' };

/**
 * Everything one tick of the run loop will write, publish and report. Writes are keyed so that
 * several events about the same task in one tick collapse into one row per task and per attempt.
 */
export class TickBatch {
  readonly now: number;
  readonly newRuns: NewRun[] = [];
  readonly newTasks: NewTaskInstance[] = [];
  readonly tasks = new Map<string, TaskInstanceWrite>();
  readonly attempts = new Map<string, AttemptWrite>();
  /** Runs that finished in this tick, by id. A run is in at most one of this and `reopenedRuns`. */
  readonly finishedRuns = new Map<string, { id: string; state: RunState; finishedAt: number }>();
  /** Finished runs that run again (tasks were cleared), by id. */
  readonly reopenedRuns = new Map<string, ReopenedRun>();
  /** Queued runs that started in this tick (`max_active_runs` had room). */
  readonly startedRuns: { id: string; deadlineAt: number | null }[] = [];
  /** Task messages to publish once the tick's transaction commits, as their outbox rows hold them. */
  readonly dispatches: OutboxMessage[] = [];
  readonly cancels: MessageInitShape<typeof CancelNoticeSchema>[] = [];
  readonly notifications: RunNotification[] = [];
  /** Runs this tick changed in memory: evicted from the cache if the transaction fails. */
  readonly touchedRuns = new Set<string>();
  /** The tick's count of the task slots of DAGs limited across their runs (`max_active_tasks`). */
  readonly taskSlots: DagTaskSlots;
  /** How many more attempts this tick may dispatch (backpressure: bounded writes and publishes). */
  #dispatchesLeft: number;
  /** Runs that held attempts back because the tick's dispatch budget ran out: the next tick wakes them. */
  readonly throttledRuns = new Set<string>();
  /** What the tick did, for the telemetry observers once it committed. */
  readonly facts = new TickFacts();
  /** Scheduler state that goes with the scheduled runs the tick creates. */
  readonly scheduleStates: ScheduleStateWrite[] = [];
  /** Task successes that DAGs' `after` wait for, recorded in the tick that saw them. */
  readonly afterEvents: AfterEventWrite[] = [];
  /** Recorded successes that runs created in this tick used up. */
  readonly afterConsumed: AfterEventWrite[] = [];

  constructor(
    now: number,
    taskSlots: DagTaskSlots = new DagTaskSlots(new Map()),
    maxDispatches = Number.POSITIVE_INFINITY,
  ) {
    this.now = now;
    this.taskSlots = taskSlots;
    this.#dispatchesLeft = maxDispatches;
  }

  /**
   * The slots the engine takes from for a run's dispatches in this tick: the tick's dispatch budget,
   * then its DAG's `max_active_tasks` across runs, when it has one.
   */
  slotsFor(runId: string, version: LoadedVersion): TaskSlots {
    const dag = this.taskSlots.forVersion(version);
    return {
      take: () => {
        if (this.#dispatchesLeft <= 0) {
          this.throttledRuns.add(runId);
          return false;
        }
        if (dag !== undefined && !dag.take()) return false;
        this.#dispatchesLeft--;
        return true;
      },
    };
  }

  setTask(write: TaskInstanceWrite): void {
    this.tasks.set(`${write.runId}/${write.taskId}`, write);
  }

  /** Records that a run finished; a reopening earlier in the tick is superseded. */
  finishRun(run: ActiveRun, state: RunState): void {
    const { id } = run;
    this.reopenedRuns.delete(id);
    this.finishedRuns.set(id, { id, state, finishedAt: this.now });
    this.facts.runsFinished.push({ run, state, finishedAt: this.now });
    this.notifications.push({ runId: id, type: 'finished', state });
  }

  /**
   * Records that a finished run runs again. When it finished earlier in this same tick, that finish is
   * dropped with its watcher notification: the database never sees it, and watchers carry on.
   */
  reopenRun(run: ReopenedRun): void {
    if (this.finishedRuns.delete(run.id)) {
      const finished = this.facts.runsFinished.findIndex((fact) => fact.run.id === run.id);
      if (finished >= 0) this.facts.runsFinished.splice(finished, 1);
      const index = this.notifications.findIndex((n) => n.runId === run.id && n.type === 'finished');
      if (index >= 0) this.notifications.splice(index, 1);
    }
    this.reopenedRuns.set(run.id, run);
  }

  /** Records what is known of an attempt, keeping earlier facts a later write leaves null. */
  mergeAttempt(write: AttemptWrite): void {
    const key = `${write.runId}/${write.taskId}/${write.attempt}`;
    const earlier = this.attempts.get(key);
    if (!earlier) {
      this.attempts.set(key, write);
      return;
    }
    this.attempts.set(key, {
      ...write,
      queuedAt: earlier.queuedAt,
      workerId: write.workerId ?? earlier.workerId,
      startedAt: write.startedAt ?? earlier.startedAt,
      finishedAt: write.finishedAt ?? earlier.finishedAt,
      error: write.error ?? earlier.error,
      logTail: write.logTail ?? earlier.logTail,
    });
  }

  get isEmpty(): boolean {
    return (
      this.newRuns.length === 0 &&
      this.tasks.size === 0 &&
      this.attempts.size === 0 &&
      this.finishedRuns.size === 0 &&
      this.reopenedRuns.size === 0 &&
      this.startedRuns.length === 0 &&
      this.dispatches.length === 0 &&
      this.scheduleStates.length === 0 &&
      this.afterConsumed.length === 0
    );
  }
}
