import { type Bus, EVENTS_ACK_WAIT_MS } from '@tributary/bus';
import type { Logger } from '@tributary/core';
import {
  type AttemptKey,
  type Database,
  deleteOutbox,
  dueQueueDeadlines,
  dueRetries,
  dueRunDeadlines,
  lostTaskMessages,
  pendingOutbox,
  runsWaitingForTaskSlots,
  runsWithNothingOut,
  staleHeldTasks,
  startableQueuedRuns,
  supersededAttempts,
  touchHeartbeats,
} from '@tributary/db';
import type { CoordinatorOptions } from './options.js';
import type { RunLoop } from './run-loop.js';
import { publishTasksTraced } from './run-tracing.js';
import { every } from './sleep.js';
import { createWorkerRegistry } from './worker-registry.js';

export interface SweepDeps {
  db: Database;
  bus: Bus;
  loop: RunLoop;
  logger: Logger;
  options: CoordinatorOptions;
  signal: AbortSignal;
  /** How far the worker-event consumer has caught up (see `onCaughtUp`); absent: always caught up. */
  events?: EventProgress;
}

/** Until when (epoch ms) every worker event is known to have been applied. */
export interface EventProgress {
  caughtUpAt: number;
}

const SWEEP_LIMIT = 1_000;

/**
 * Timers live in Postgres, not in memory: a retry's due time is a column, so a coordinator restart
 * neither loses nor shortens it. This sweep feeds due retries to the run loop.
 */
export function sweepDueRetries({ db, loop, logger, options, signal }: SweepDeps): Promise<void> {
  return every(
    options.timerIntervalMs,
    signal,
    async () => {
      const due = await dueRetries(db.sql, Date.now(), SWEEP_LIMIT);
      if (due.length === 0) return;
      await loop.applyTimerEvents(
        due.map((key) => ({
          runId: key.runId,
          event: { type: 'retry_due', taskId: key.taskId, attempt: key.attempt + 1, at: Date.now() },
          context: {},
        })),
      );
    },
    (error) => logger.warn('retry sweep failed', { error: String(error) }),
  );
}

/** Runs past their `dagrun_timeout` deadline (a column of the run row, so durable too) time out. */
export function sweepRunDeadlines({ db, loop, logger, options, signal }: SweepDeps): Promise<void> {
  return every(
    options.timerIntervalMs,
    signal,
    async () => {
      const now = Date.now();
      const due = await dueRunDeadlines(db.sql, now, SWEEP_LIMIT);
      if (due.length === 0) return;
      logger.warn('runs timed out (dagrun_timeout)', { count: due.length });
      await loop.applyTimerEvents(
        due.map((runId) => ({ runId, event: { type: 'run_timed_out', at: now }, context: {} })),
      );
    },
    (error) => logger.warn('run deadline sweep failed', { error: String(error) }),
  );
}

/**
 * Attempts still `queued` past their `queue_timeout` deadline (a column of the task row, so durable
 * too) fail: no worker of their pool started them in time. The engine ignores the event for an attempt
 * that started meanwhile.
 */
export function sweepQueueDeadlines({ db, loop, logger, options, signal }: SweepDeps): Promise<void> {
  return every(
    options.timerIntervalMs,
    signal,
    async () => {
      const now = Date.now();
      const due = await dueQueueDeadlines(db.sql, now, SWEEP_LIMIT);
      if (due.length === 0) return;
      logger.warn('queued tasks timed out: no worker started them (queue_timeout)', { count: due.length });
      await loop.applyTimerEvents(
        due.map((key) => ({
          runId: key.runId,
          event: { type: 'queue_timed_out', taskId: key.taskId, attempt: key.attempt, at: now },
          context: {},
        })),
      );
    },
    (error) => logger.warn('queue timeout sweep failed', { error: String(error) }),
  );
}

/**
 * Queued runs (held back by their DAG's `max_active_runs`) start when slots free up. A sweep rather than
 * a reaction to finishing runs, so that it also survives a coordinator restart; the run loop checks the
 * limit again when it starts them.
 */
export function startQueuedRuns({ db, loop, logger, options, signal }: SweepDeps): Promise<void> {
  return every(
    options.timerIntervalMs,
    signal,
    async () => {
      const ids = await startableQueuedRuns(db.sql, SWEEP_LIMIT);
      if (ids.length > 0) await loop.startQueuedRuns(ids);
    },
    (error) => logger.warn('starting queued runs failed', { error: String(error) }),
  );
}

/**
 * Runs that hold ready tasks back are woken: those of a DAG whose `max_active_tasks` has free slots, and
 * those with nothing out at all (a tick's dispatch budget ran out just before a restart or a change of
 * leader). Within a term the run loop wakes them itself; held tasks live only in memory, so this covers
 * runs it has not touched since it took over, at the cost of two queries per interval.
 */
export function wakeRunsHoldingTasks({ db, loop, logger, options, signal }: SweepDeps): Promise<void> {
  return every(
    options.outboxRelayIntervalMs,
    signal,
    async () => {
      const [limited, idle] = await Promise.all([
        runsWaitingForTaskSlots(db.sql, SWEEP_LIMIT),
        runsWithNothingOut(db.sql, SWEEP_LIMIT),
      ]);
      const ids = [...new Set([...limited, ...idle])];
      if (ids.length > 0) await loop.wakeRuns(ids);
    },
    (error) => logger.warn('waking runs waiting for task slots failed', { error: String(error) }),
  );
}

/**
 * A running task whose worker stopped heartbeating is lost: its attempt fails as `lost` and is
 * retried per its policy. Nothing is declared lost until the coordinator itself has been up for a
 * whole heartbeat timeout (heartbeats sent while it was down were never seen) plus the events
 * consumer's ack wait (results a dead predecessor took but never acked come back only then; the
 * coordinator-restart end-to-end test fails without it).
 */
export function sweepLostTasks({ db, loop, logger, options, signal, events }: SweepDeps): Promise<void> {
  const startedAt = Date.now();
  const graceMs = options.heartbeatTimeoutMs + EVENTS_ACK_WAIT_MS;
  return every(
    options.timerIntervalMs,
    signal,
    async () => {
      const now = Date.now();
      if (now - startedAt < graceMs) return;
      // A worker lists an attempt in its heartbeats until its `finished` event is stored, so a heartbeat
      // older than the events caught up (by more than a heartbeat interval) means a dead worker, not
      // a result still waiting in a backlog of events.
      const caughtUp = (events?.caughtUpAt ?? now) - options.heartbeatTimeoutMs / 2;
      const stale = await staleHeldTasks(db.sql, now, options.heartbeatTimeoutMs, SWEEP_LIMIT, caughtUp);
      if (stale.length === 0) return;
      logger.warn('tasks lost: no heartbeat from their worker', { count: stale.length });
      await loop.applyTimerEvents(
        stale.map((task) => ({
          runId: task.runId,
          event: {
            type: 'task_failed',
            taskId: task.taskId,
            attempt: task.attempt,
            reason: 'lost',
            at: now,
            error: {
              type: 'TaskLost',
              retryable: true,
              message: `worker ${task.workerId ?? '(unknown)'} sent no heartbeat for ${task.heartbeatTimeoutMs}ms`,
            },
          },
          context: { attemptOutcome: 'lost' },
        })),
      );
    },
    (error) => logger.warn('lost-task sweep failed', { error: String(error) }),
  );
}

/** Re-publishes outbox rows that no publish after commit confirmed (crash, NATS down). */
export function relayOutbox({ db, bus, loop, logger, options, signal }: SweepDeps): Promise<void> {
  // Rows younger than this are probably being published by the tick that wrote them.
  const graceMs = Math.max(1_000, options.outboxRelayIntervalMs);
  let first = true;
  return every(
    options.outboxRelayIntervalMs,
    signal,
    async () => {
      // Rows already published by the loop go first, or they would be published twice.
      await loop.deletePublishedOutbox();
      const rows = await pendingOutbox(db.sql, first ? 0 : graceMs, SWEEP_LIMIT);
      first = false;
      if (rows.length === 0) return;
      await publishTasksTraced(bus, rows);
      await deleteOutbox(
        db.sql,
        rows.map((row) => row.id),
      );
      logger.info('outbox relay published left-over task messages', { count: rows.length });
    },
    (error) => logger.warn('outbox relay failed', { error: String(error) }),
  );
}

/**
 * Recovers task messages lost with the broker's data (the task stream deleted, or its files): a missing
 * stream is created again, and each attempt still queued that was published to an earlier incarnation of
 * the stream and that no worker holds is published again. Postgres holds the truth, so nothing is lost.
 * Checked at the start of a term (a loss while no coordinator led) and whenever the stream's creation
 * time changes; otherwise it costs one stream-info request per interval.
 */
export function recoverLostTaskMessages({
  db,
  bus,
  loop,
  logger,
  options,
  signal,
}: SweepDeps): Promise<void> {
  let checkedFor: number | undefined;
  return every(
    options.outboxRelayIntervalMs,
    signal,
    async () => {
      let createdAt = await bus.taskStreamCreatedAt();
      if (createdAt === null) {
        logger.warn('the task stream is missing (broker data lost?); creating it again');
        await bus.ensureTopology();
        createdAt = await bus.taskStreamCreatedAt();
        if (createdAt === null) return;
      }
      if (createdAt === checkedFor) return;
      const lost = await lostTaskMessages(db.sql, createdAt, SWEEP_LIMIT);
      const republished = lost.length === 0 ? 0 : await loop.republish(lost);
      if (republished > 0) logger.warn('task messages lost with the broker published again', { republished });
      // A full page may have more behind it: look again next time.
      if (lost.length < SWEEP_LIMIT) checkedFor = createdAt;
    },
    (error) => logger.warn('recovering lost task messages failed', { error: String(error) }),
  );
}

/**
 * Heartbeats arrive on core NATS, one per worker per interval, listing its running attempts; they
 * are collected and written in one statement per interval. A worker still running an attempt that was
 * taken away from it (declared lost while it was paused or cut off, say) is told to abandon it: the
 * engine fences its result anyway, and this stops the work. The cancel notice sent when the attempt was
 * taken away may never have reached it.
 */
export function recordHeartbeats({ db, bus, logger, options, signal }: SweepDeps): Promise<void> {
  let pending = new Map<string, AttemptKey>();
  const workers = createWorkerRegistry({ sql: db.sql, logger, retentionMs: options.workerRetentionMs });
  const unsubscribe = bus.subscribeHeartbeats((heartbeat) => {
    workers.collect(heartbeat);
    for (const ref of heartbeat.running) {
      pending.set(`${ref.runId}/${ref.taskId}/${ref.attempt}`, {
        runId: ref.runId,
        taskId: ref.taskId,
        attempt: ref.attempt,
      });
    }
  });
  signal.addEventListener('abort', unsubscribe, { once: true });
  return every(
    Math.min(1_000, Math.floor(options.heartbeatTimeoutMs / 3)),
    signal,
    async () => {
      await workers.flush(); // before the early return: idle workers heartbeat too
      if (pending.size === 0) return;
      const attempts = [...pending.values()];
      pending = new Map();
      await touchHeartbeats(db.sql, attempts, Date.now());
      const superseded = await supersededAttempts(db.sql, attempts);
      if (superseded.length === 0) return;
      // Mostly attempts whose result was just applied (a worker lists an attempt until its result is
      // stored), sometimes attempts declared lost, or decided by a redelivered copy: none may go on.
      logger.info('workers hold attempts already decided or taken away; telling them to abandon them', {
        count: superseded.length,
      });
      for (const key of superseded) {
        bus.publishCancel({ ...key, reason: 'the attempt was taken away from this worker (declared lost)' });
      }
    },
    (error) => logger.warn('recording heartbeats failed', { error: String(error) }),
  );
}
