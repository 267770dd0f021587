import type { JsonObject } from '@tributary/core';
import { millisFromTimestamp, type RejectedEvent } from '@tributary/proto';
import { withClient } from '../client.js';
import { reportError } from '../errors.js';
import { type CommandIo, EXIT_OK } from '../io.js';
import { formatInstant } from '../render/run-view.js';
import { formatTable } from '../render/table.js';

/** Flags of `tributary events rejected`. */
export interface RejectedEventsCommandOptions {
  /** Only this DAG's. @default every DAG's */
  dag?: string;
  /** At most this many. @default 50 (the server's) */
  limit?: number;
  json?: boolean;
}

/** Longest payload shown in the table; `--json` has all the server kept (4 KiB). */
const PAYLOAD_EXCERPT_WIDTH = 40;

function excerpt(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

/** The table of `tributary events rejected`, newest first as the server lists them. */
export function formatRejectedEventsTable(events: readonly RejectedEvent[]): string {
  const rows = events.map((event) => [
    formatInstant(millisFromTimestamp(event.receivedAt)),
    event.dag,
    event.subject,
    String(event.streamSeq),
    event.error,
    excerpt(event.payload, PAYLOAD_EXCERPT_WIDTH),
  ]);
  return formatTable(['TIME', 'DAG', 'SUBJECT', 'SEQ', 'ERROR', 'PAYLOAD'], rows);
}

/** A rejected event as `--json` output: snake_case keys, an ISO time, the whole payload kept. */
export function rejectedEventToJson(event: RejectedEvent): JsonObject {
  const receivedAt = millisFromTimestamp(event.receivedAt);
  return {
    received_at: receivedAt === undefined ? null : new Date(receivedAt).toISOString(),
    dag: event.dag,
    subject: event.subject,
    // uint64 on the wire; a stream sequence stays far below 2^53.
    stream_seq: Number(event.streamSeq),
    error: event.error,
    payload: event.payload,
  };
}

/** `tributary events rejected`: the event messages that started no run, and why. */
export async function rejectedEventsCommand(
  options: RejectedEventsCommandOptions,
  io: CommandIo,
): Promise<number> {
  try {
    const events = await withClient(io, (client) =>
      client.listRejectedEvents({
        ...(options.dag === undefined ? {} : { dag: options.dag }),
        ...(options.limit === undefined ? {} : { limit: options.limit }),
      }),
    );
    if (options.json) io.out(`${JSON.stringify({ events: events.map(rejectedEventToJson) })}\n`);
    else io.out(events.length === 0 ? 'no rejected events\n' : formatRejectedEventsTable(events));
    return EXIT_OK;
  } catch (error) {
    return reportError(io, error);
  }
}
