import { createHash, randomUUID } from 'node:crypto';
import { subjectMatches, type TriggerMessage } from '@tributary/bus';
import type { JsonObject, JsonValue } from '@tributary/core';
import type { RejectedEventRow } from '@tributary/db';
import { renderParamValue, renderTemplate, TemplateError } from '@tributary/executors/templates';
import { type EventTriggerModel, validateParams } from '@tributary/spec';
import type { LoadedVersion } from './active-runs.js';
import type { NewRunRequest } from './new-runs.js';

/** How much of a rejected message's body its `rejected_events` row keeps: 4 KiB. */
export const REJECTED_PAYLOAD_BYTES = 4096;
/**
 * Longest dedupe key kept as it is in a run's request id; a longer one is replaced by its SHA-256, since
 * the request id's unique index refuses entries of a few KiB.
 */
export const MAX_PLAIN_DEDUPE_KEY_BYTES = 512;

/** A DAG with an `on`, as one batch of messages sees it. */
export interface EventTriggerTarget {
  dag: string;
  /** Its `on.subject`. */
  subject: string;
  paused: boolean;
  /** Its latest version (whose model holds the `on`); null for a paused DAG, which needs none. */
  version: LoadedVersion | null;
}

/** A message that started no run of a DAG, and why. */
export type RejectedEventWrite = Omit<RejectedEventRow, 'receivedAt'>;

/** What a batch of trigger messages comes to. */
export interface EventTriggerPlan {
  /** The runs to create, in message order (a repeated request id is answered with the earlier run). */
  runs: NewRunRequest[];
  rejected: RejectedEventWrite[];
  /** How many messages each paused DAG let go by. */
  paused: Map<string, number>;
  /**
   * Messages no DAG's subject matches: the stream takes a wider subject than two partly overlapping
   * DAG subjects, or a DAG dropped its `on` while messages were waiting.
   */
  unmatched: number;
}

/**
 * Decides what each message starts: for every DAG whose subject it matches, nothing when the DAG is
 * paused, a rejection when its params cannot be rendered or do not fit the DAG's schema, else a run
 * whose request id makes a redelivered (or, with `dedupe_key`, a repeated) message start no second run.
 */
export function planEventTriggers(
  messages: readonly TriggerMessage[],
  targets: readonly EventTriggerTarget[],
  newRunId: () => string = randomUUID,
): EventTriggerPlan {
  const plan: EventTriggerPlan = { runs: [], rejected: [], paused: new Map(), unmatched: 0 };
  for (const message of messages) {
    const matching = targets.filter((target) => subjectMatches(target.subject, message.subject));
    if (matching.length === 0) plan.unmatched++;
    const scope = eventScope(message);
    for (const target of matching) {
      if (target.paused) {
        plan.paused.set(target.dag, (plan.paused.get(target.dag) ?? 0) + 1);
        continue;
      }
      const on = target.version?.model.events;
      if (!target.version || !on) continue;
      const decided = eventRun(target.version, on, message, scope, newRunId);
      if (typeof decided === 'string') plan.rejected.push(rejection(target.dag, message, decided));
      else plan.runs.push(decided);
    }
  }
  return plan;
}

/** The run one message starts for one DAG, or why it starts none. */
function eventRun(
  version: LoadedVersion,
  on: EventTriggerModel,
  message: TriggerMessage,
  scope: JsonObject,
  newRunId: () => string,
): NewRunRequest | string {
  const entries: [string, JsonValue][] = [];
  for (const [name, value] of Object.entries(on.params)) {
    const field = `on.params.${name}`;
    let rendered: JsonValue;
    try {
      rendered = typeof value === 'string' ? renderParamValue(value, scope) : value;
    } catch (error) {
      return `${field}: ${templateMessage(error)}`;
    }
    // Postgres stores no NUL in text or jsonb: the run's insert would fail, and its whole batch with it.
    if (holdsNul(rendered)) return `${field}: the value holds a NUL character, which cannot be stored`;
    entries.push([name, rendered]);
  }
  // fromEntries: a param named `__proto__` is a field like any other.
  const { params, problems } = validateParams(version.model, Object.fromEntries(entries));
  if (problems.length > 0) {
    return problems.map((problem) => `${problem.field ?? 'params'}: ${problem.message}`).join('; ');
  }
  let key: string;
  if (on.dedupeKey === null) key = `seq:${message.streamSequence}`;
  else {
    let text: string;
    try {
      text = renderTemplate(on.dedupeKey, scope, (value) =>
        typeof value === 'string' ? value : JSON.stringify(value),
      );
    } catch (error) {
      return `on.dedupe_key: ${templateMessage(error)}`;
    }
    if (text.includes('\0')) return 'on.dedupe_key: the key holds a NUL character, which cannot be stored';
    key =
      Buffer.byteLength(text) > MAX_PLAIN_DEDUPE_KEY_BYTES
        ? `key-sha256:${createHash('sha256').update(text).digest('hex')}`
        : `key:${text}`;
  }
  return {
    runId: newRunId(),
    version,
    params,
    requestId: `event:${version.dag}:${key}`,
    origin: { type: 'event', logicalDate: message.publishedAt, dataIntervalEnd: message.publishedAt },
    ...(message.headers.traceparent === undefined ? {} : { traceparent: message.headers.traceparent }),
  };
}

/**
 * The template scope of a message: `event.subject`, `event.data` (the body parsed as JSON, or the body
 * as text when it is not JSON) and `event.headers` (first values).
 */
export function eventScope(message: TriggerMessage): JsonObject {
  const text = new TextDecoder().decode(message.data);
  let data: JsonValue;
  try {
    data = JSON.parse(text) as JsonValue;
  } catch {
    data = text;
  }
  return { event: { subject: message.subject, data, headers: message.headers } };
}

function rejection(dag: string, message: TriggerMessage, error: string): RejectedEventWrite {
  const payload = new TextDecoder().decode(message.data.subarray(0, REJECTED_PAYLOAD_BYTES));
  return {
    dag,
    subject: message.subject,
    streamSeq: message.streamSequence,
    error: withoutNul(error),
    payload: withoutNul(payload),
  };
}

function templateMessage(error: unknown): string {
  if (error instanceof TemplateError) return error.message;
  throw error;
}

function holdsNul(value: JsonValue | undefined): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (Array.isArray(value)) return value.some(holdsNul);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).some(([key, inner]) => key.includes('\0') || holdsNul(inner));
  }
  return false;
}

// Postgres text cannot hold NUL: shown as the replacement character.
const withoutNul = (text: string): string => text.replaceAll('\0', '\uFFFD');
