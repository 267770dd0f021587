import type { Sql } from 'postgres';
import { NO_STATEMENT } from '../pipelined-transaction.js';
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
export function deleteOutbox(sql: Sql, ids: readonly number[]): Promise<unknown> {
  if (ids.length === 0) return NO_STATEMENT;
  return sql`DELETE FROM outbox WHERE id = ANY(${sql.array([...ids])}::bigint[])`.execute();
}
