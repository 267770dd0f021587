import type { JsonObject } from '@tributary/core';
import { DEFAULT_OVERLAP_POLICY, localTimeToEpoch } from '@tributary/schedule';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { checkEventTemplate } from './event-template-checks.js';
import type { ValueType } from './fields.js';
import type { AfterModel, EventTriggerModel, OverlapPolicy, ScheduleModel } from './model.js';
import { describeNode } from './node-values.js';
import { type MapEntry, positionOf, report, resolve, type SpecContext } from './positions.js';
import { readFields } from './read-fields.js';
import { readValue } from './read-values.js';
import { AFTER_FIELDS, DEFAULT_TIMEZONE, EVENT_FIELDS } from './trigger-fields.js';

/** A spec's triggers as read: what the model holds (`null` and `[]` when absent). */
export interface ReadTriggers {
  schedule: ScheduleModel | null;
  events: EventTriggerModel | null;
  after: AfterModel[];
}

/** Top-level fields that only mean something for scheduled runs. */
const SCHEDULE_ONLY_FIELDS = ['timezone', 'start_date', 'end_date', 'catchup', 'overlap'] as const;

/** The top-level fields of the spec, by name (what `readFields` returned). */
type TopFields = ReadonlyMap<string, MapEntry>;

/** Reads the top-level field `name` with the reader of `type`; undefined when absent or wrong. */
function readTop<T>(ctx: SpecContext, fields: TopFields, name: string, type: ValueType): T | undefined {
  const entry = fields.get(name);
  return entry && (readValue(ctx, type, entry.value, { field: name }) as T | undefined);
}

/**
 * `start_date` and `end_date` as instants in the schedule's time zone; an end not after the start is a
 * problem. Without a valid zone their form was checked, but no instant can be told.
 */
function readDates(ctx: SpecContext, fields: TopFields, timezone: string | undefined) {
  const startText = readTop<string>(ctx, fields, 'start_date', 'dateTime');
  const endText = readTop<string>(ctx, fields, 'end_date', 'dateTime');
  const epoch = (text: string | undefined) =>
    text === undefined || timezone === undefined ? null : localTimeToEpoch(text, timezone);
  const startDate = epoch(startText);
  const endDate = epoch(endText);
  if (startDate !== null && endDate !== null && endDate <= startDate) {
    const message = `end_date '${endText}' must be later than start_date '${startText}'`;
    report(ctx, fields.get('end_date')?.value, message, { field: 'end_date' });
  }
  return { startDate, endDate };
}

/**
 * `schedule` and the fields that go with it. Each of those fields without a schedule is a problem (it
 * would silently do nothing); their values are checked all the same, so that one pass reports all.
 */
export function readSchedule(ctx: SpecContext, fields: TopFields): ScheduleModel | null {
  const cron = readTop<string>(ctx, fields, 'schedule', 'cron');
  const timezoneEntry = fields.get('timezone');
  const timezone = timezoneEntry ? readTop<string>(ctx, fields, 'timezone', 'timezone') : DEFAULT_TIMEZONE;
  const { startDate, endDate } = readDates(ctx, fields, timezone);
  const catchup = readTop<boolean>(ctx, fields, 'catchup', 'boolean') ?? true;
  const overlap = readTop<OverlapPolicy>(ctx, fields, 'overlap', 'overlap') ?? DEFAULT_OVERLAP_POLICY;
  if (!fields.has('schedule')) {
    for (const name of SCHEDULE_ONLY_FIELDS) {
      const entry = fields.get(name);
      if (entry === undefined) continue;
      report(ctx, entry.keyNode, `${name} needs a schedule: it applies only to scheduled runs`, {
        field: name,
      });
    }
    return null;
  }
  // The model is built only when nothing was reported, so a value that failed to read never gets there.
  return { cron: cron ?? '', timezone: timezone ?? DEFAULT_TIMEZONE, startDate, endDate, catchup, overlap };
}

/**
 * The string values of a mapping with their nodes, first of duplicate keys only (the `params` reader
 * reports the others).
 */
function stringValues(
  ctx: SpecContext,
  node: Node | undefined,
): { key: string; value: string; node: Node }[] {
  if (!isMap(node)) return [];
  const seen = new Map<string, { key: string; value: string; node: Node }>();
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    const value = resolve(ctx, pair.value);
    if (key === undefined || seen.has(key) || !isScalar(value) || typeof value.value !== 'string') continue;
    seen.set(key, { key, value: value.value, node: value });
  }
  return [...seen.values()];
}

/** `on.dedupe_key`: a template over the message; one without any would give every message one key. */
function readDedupeKey(ctx: SpecContext, entry: MapEntry | undefined): string | null {
  if (entry === undefined) return null;
  const where = { field: 'on.dedupe_key' };
  const key = readValue(ctx, 'dedupeKey', entry.value, where) as string | undefined;
  if (key === undefined || entry.value === undefined) return null;
  if (!checkEventTemplate(ctx, key, entry.value, where)) {
    const message =
      `dedupe_key '${key}' holds no template, so every message would have the same key and only the ` +
      'first would start a run: use a name from the message, e.g. {{ event.data.id }}';
    report(ctx, entry.value, message, where);
  }
  return key;
}

/** `on`: a subject, the run's params (templates over the message) and an optional dedupe key. */
export function readEvents(ctx: SpecContext, entry: MapEntry | undefined): EventTriggerModel | null {
  if (entry === undefined) return null;
  const node = entry.value;
  if (!isMap(node)) {
    const message = `must be a mapping with 'subject', e.g. { subject: orders.created } (got ${describeNode(node)})`;
    report(ctx, node ?? entry.keyNode, message, { field: 'on' });
    return null;
  }
  const entries = readFields(ctx, node, { prefix: 'on', table: EVENT_FIELDS, owner: entry.keyNode });
  const subjectEntry = entries.get('subject');
  const subject = subjectEntry && readValue(ctx, 'natsSubject', subjectEntry.value, { field: 'on.subject' });
  const paramsNode = entries.get('params')?.value;
  const params = paramsNode ? readValue(ctx, 'dagParams', paramsNode, { field: 'on.params' }) : {};
  for (const param of stringValues(ctx, paramsNode)) {
    checkEventTemplate(ctx, param.value, param.node, { field: `on.params.${param.key}` });
  }
  const dedupeKey = readDedupeKey(ctx, entries.get('dedupe_key'));
  return { subject: String(subject ?? ''), params: (params ?? {}) as JsonObject, dedupeKey };
}

/** One `after` entry, or undefined after reporting why it is not one. */
function readAfterEntry(
  ctx: SpecContext,
  node: Node,
  index: number,
  dagName: string,
): AfterModel | undefined {
  const prefix = `after[${index}]`;
  if (!isMap(node)) {
    const message = `must be a mapping { dag, task }, e.g. { dag: load_orders, task: publish } (got ${describeNode(node)})`;
    report(ctx, node, message, { field: prefix });
    return undefined;
  }
  const entries = readFields(ctx, node, { prefix, table: AFTER_FIELDS, owner: node });
  const dagEntry = entries.get('dag');
  const taskEntry = entries.get('task');
  const dag = dagEntry && readValue(ctx, 'dagName', dagEntry.value, { field: `${prefix}.dag` });
  const task = taskEntry && readValue(ctx, 'taskId', taskEntry.value, { field: `${prefix}.task` });
  if (typeof dag === 'string' && dag === dagName) {
    const message = `a DAG cannot wait for itself: '${dag}' is this DAG (order its own tasks with needs)`;
    report(ctx, dagEntry?.value, message, { field: `${prefix}.dag` });
    return undefined;
  }
  return typeof dag === 'string' && typeof task === 'string' ? { dag, task } : undefined;
}

/** `after`: a non-empty list of distinct `{ dag, task }` of other DAGs. */
export function readAfter(ctx: SpecContext, entry: MapEntry | undefined, dagName: string): AfterModel[] {
  if (entry === undefined) return [];
  const node = entry.value;
  if (!isSeq(node) || node.items.length === 0) {
    const got = isSeq(node) ? 'an empty list' : describeNode(node);
    const message = `must be a non-empty list of { dag, task }, e.g. [{ dag: load_orders, task: publish }] (got ${got})`;
    report(ctx, node ?? entry.keyNode, message, { field: 'after' });
    return [];
  }
  const after: AfterModel[] = [];
  const firstLine = new Map<string, number>();
  node.items.forEach((item, index) => {
    const itemNode = resolve(ctx, item) ?? node;
    const read = readAfterEntry(ctx, itemNode, index, dagName);
    if (read === undefined) return;
    const key = JSON.stringify([read.dag, read.task]);
    const first = firstLine.get(key);
    if (first !== undefined) {
      const message = `duplicate entry { dag: ${read.dag}, task: ${read.task} } (first at line ${first})`;
      report(ctx, itemNode, message, { field: `after[${index}]` });
      return;
    }
    firstLine.set(key, positionOf(ctx, itemNode).line);
    after.push(read);
  });
  return after;
}

/** Reads `schedule` (with its fields), `on` and `after`, reporting every problem with them. */
export function readTriggers(ctx: SpecContext, fields: TopFields, dagName: string): ReadTriggers {
  return {
    schedule: readSchedule(ctx, fields),
    events: readEvents(ctx, fields.get('on')),
    after: readAfter(ctx, fields.get('after'), dagName),
  };
}
