import type { Sql, TransactionSql } from 'postgres';
import type { OutboxMessage } from './tick-writes.js';

export interface OutboxRow extends OutboxMessage {
  id: number;
}

/** Outbox rows older than `olderThanMs` (left behind by a crash or a failed publish), oldest first. */
export async function pendingOutbox(sql: Sql, olderThanMs: number, limit: number): Promise<OutboxRow[]> {
  const rows = await sql<
    { id: string | number; msgId: string; pool: string; payload: Buffer; traceparent: string | null }[]
  >`
    SELECT id, msg_id AS "msgId", pool, payload, traceparent FROM outbox
    WHERE created_at <= now() - make_interval(secs => ${olderThanMs / 1000})
    ORDER BY id LIMIT ${limit}`;
  return rows.map((r) => ({ ...r, id: Number(r.id), payload: new Uint8Array(r.payload) }));
}

/** Deletes published outbox rows, on its own or within a transaction. */
export async function deleteOutbox(sql: Sql | TransactionSql, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`DELETE FROM outbox WHERE id = ANY(${sql.array([...ids])}::bigint[])`;
}
