import type { Logger } from '@tributary/core';
import { deleteExpiredWorkers, upsertWorkers, type WorkerHeartbeatWrite } from '@tributary/db';
import { type Heartbeat, millisFromTimestamp } from '@tributary/proto';
import type { Sql } from 'postgres';

/**
 * The coordinator's side of the worker registry (ListWorkers reads it): the latest heartbeat of each
 * worker is kept between flushes and written in one statement per flush, and rows of workers gone
 * quiet for longer than the retention are deleted.
 */
export interface WorkerRegistry {
  /** Keeps `heartbeat` as its worker's latest, stamped with the coordinator's clock as it arrives. */
  collect(heartbeat: Heartbeat): void;
  /**
   * Writes the heartbeats collected since the last flush, and deletes expired workers at most once per
   * {@link WORKER_EXPIRY_INTERVAL_MS}. Never rejects: a failure is logged and the heartbeats are kept for
   * the next flush, so that the task heartbeats written next to it are not held up by the registry.
   */
  flush(): Promise<void>;
}

/** What {@link createWorkerRegistry} needs. */
export interface WorkerRegistryOptions {
  sql: Sql;
  logger: Logger;
  /** Rows whose last heartbeat is older than this are deleted (the coordinator's `workerRetentionMs`). */
  retentionMs: number;
}

/** How often expired workers are looked for at most: a retention of minutes needs no finer grain. */
export const WORKER_EXPIRY_INTERVAL_MS = 30_000;

/** Creates an empty registry collector; it writes nothing until flushed. */
export function createWorkerRegistry({ sql, logger, retentionMs }: WorkerRegistryOptions): WorkerRegistry {
  let pending = new Map<string, WorkerHeartbeatWrite>();
  let lastExpiryAt = Number.NEGATIVE_INFINITY;
  const expiryIntervalMs = Math.min(WORKER_EXPIRY_INTERVAL_MS, retentionMs);

  const write = async () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      await upsertWorkers(sql, [...batch.values()]);
    } catch (error) {
      // Heartbeats that arrived meanwhile are newer; the rest go out with the next flush.
      for (const [id, row] of batch) if (!pending.has(id)) pending.set(id, row);
      logger.warn('recording worker heartbeats failed', { error: String(error), workers: batch.size });
    }
  };

  const expire = async () => {
    const now = Date.now();
    if (now - lastExpiryAt < expiryIntervalMs) return;
    lastExpiryAt = now;
    try {
      const expired = await deleteExpiredWorkers(sql, now - retentionMs);
      if (expired.length > 0) logger.info('workers expired from the registry', { workers: expired });
    } catch (error) {
      logger.warn('expiring workers failed', { error: String(error) });
    }
  };

  return {
    collect(heartbeat) {
      pending.set(heartbeat.workerId, {
        id: heartbeat.workerId,
        host: heartbeat.host,
        pools: heartbeat.pools,
        concurrency: heartbeat.concurrency,
        version: heartbeat.version,
        startedAt: millisFromTimestamp(heartbeat.startedAt) ?? null,
        lastHeartbeatAt: Date.now(),
        stopping: heartbeat.stopping,
        running: heartbeat.running.map((ref) => ({
          runId: ref.runId,
          taskId: ref.taskId,
          attempt: ref.attempt,
        })),
      });
    },
    async flush() {
      await write();
      await expire();
    },
  };
}
