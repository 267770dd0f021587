import type { JsonObject } from '@tributary/core';
import { DEFAULT_OVERLAP_POLICY, OVERLAP_POLICIES } from '@tributary/schedule';

/**
 * The fields that start runs without anyone asking: `schedule` and the fields that go with it, `on`
 * (messages on a NATS subject) and `after` (tasks of other DAGs). Kept apart from `fields.ts`, as the
 * container fields are, so the shared tables stay readable; `fields.ts` adds them to the top level.
 */
export type TriggerValueType =
  | 'cron'
  | 'timezone'
  | 'dateTime'
  | 'overlap'
  | 'eventTrigger'
  | 'natsSubject'
  | 'dedupeKey'
  | 'after';

/** The time zone of a schedule that names none. */
export const DEFAULT_TIMEZONE = 'UTC';

/**
 * `orders.created`, `orders.*.eu`, `orders.>`: tokens separated by dots, none empty, no whitespace;
 * `*` only as a whole token, `>` only as the whole last token; not starting with `$`, which NATS keeps
 * for its own subjects (`$JS`, `$SYS`). nats-subject.ts says which rule a subject breaks.
 */
export const NATS_SUBJECT_PATTERN = '^(?!\\$)((\\*|[^.\\s*>]+)\\.)*(\\*|>|[^.\\s*>]+)$';

/**
 * `2026-01-01`, `2026-01-01T06:00`, `2026-01-01T06:00:00+02:00`: what `localTimeToEpoch` reads (it
 * also refuses dates that do not exist, such as `2026-02-30`).
 */
export const DATE_TIME_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}([Tt ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(\\s*([Zz]|[+-]\\d{2}:?\\d{2}))?)?$';

const DATE_HINT = 'a date (2026-01-01) or date-time (2026-01-01T06:00)';

/** The top-level trigger fields (`fields.ts` adds them to its TOP_FIELDS). */
export const TRIGGER_TOP_FIELDS = {
  schedule: {
    type: 'cron',
    description:
      'Runs the DAG by itself: a cron expression of 5 fields (minute hour day month weekday, e.g. ' +
      '"30 2 * * *") or 6 (seconds first), or @hourly, @daily, @midnight, @weekly, @monthly, @yearly, ' +
      '@annually. Each run covers the data interval from one fire time to the next ({{ run.data_interval_start }}, ' +
      '{{ run.data_interval_end }}). Every param needs a default.',
  },
  timezone: {
    type: 'timezone',
    description: `The IANA time zone the schedule is read in, e.g. Europe/Berlin. Needs schedule. Default ${DEFAULT_TIMEZONE}.`,
  },
  start_date: {
    type: 'dateTime',
    description:
      `The first data interval starts at the first fire time at or after it: ${DATE_HINT}, in the ` +
      "schedule's time zone unless it has Z or an offset (+02:00). Needs schedule. Default: when the " +
      'schedule is first deployed.',
  },
  end_date: {
    type: 'dateTime',
    description: `No data interval starts after it: ${DATE_HINT}, read like start_date and later than it. Needs schedule. Default none.`,
  },
  catchup: {
    type: 'boolean',
    description:
      'Run the data intervals missed while the DAG was paused, not deployed or the scheduler was down. ' +
      'Needs schedule. Default true.',
  },
  overlap: {
    type: 'overlap',
    description:
      'What a scheduled run does while an earlier one is still queued or running: skip it, buffer_one ' +
      '(keep only the latest waiting), buffer_all (run each in turn), cancel_previous, or allow (run at ' +
      `once). Needs schedule. Default ${DEFAULT_OVERLAP_POLICY}.`,
  },
  on: {
    type: 'eventTrigger',
    description:
      'Starts a run for each message on a NATS subject: { subject, params, dedupe_key }. Every param ' +
      'without a default must be set in params.',
  },
  after: {
    type: 'after',
    description:
      "Starts a run when all these tasks of other DAGs have succeeded since this DAG's last such run: " +
      'a non-empty list of { dag, task }. Every param needs a default.',
  },
} as const satisfies Record<string, { type: string; description: string }>;

/** Fields of `on`. */
export const EVENT_FIELDS = {
  subject: {
    type: 'natsSubject',
    required: true,
    description:
      "The NATS subject, e.g. orders.created.>: '*' matches one token, '>' the rest (last token only). " +
      "Subjects starting with '$' are the server's own.",
  },
  params: {
    type: 'dagParams',
    description:
      "The run's params, by name. String values may hold templates over the message: " +
      '{{ event.subject }}, {{ event.data }} (the JSON body) or a field of it ({{ event.data.id }}), ' +
      '{{ event.headers.<name> }}; a value that is one template alone keeps the JSON type of what it names.',
  },
  dedupe_key: {
    type: 'dedupeKey',
    description:
      'A template over the message, e.g. {{ event.data.id }}: a message whose key was already seen for ' +
      'this DAG starts no second run. Default: only a redelivery of the same message is recognised.',
  },
} as const satisfies Record<string, { type: string; description: string; required?: boolean }>;

/** Fields of one `after` entry. */
export const AFTER_FIELDS = {
  dag: { type: 'dagName', required: true, description: 'The other DAG, by its spec name.' },
  task: { type: 'taskId', required: true, description: 'The task of that DAG whose success is waited for.' },
} as const satisfies Record<string, { type: string; description: string; required?: boolean }>;

const ref = (name: string): JsonObject => ({ $ref: `#/definitions/${name}` });

/** The JSON Schema fragment of each trigger value type. */
export const TRIGGER_VALUE_SCHEMAS: Readonly<Record<TriggerValueType, JsonObject>> = {
  cron: { type: 'string', minLength: 1 },
  timezone: { type: 'string', minLength: 1 },
  dateTime: { type: 'string', pattern: DATE_TIME_PATTERN },
  overlap: { type: 'string', enum: [...OVERLAP_POLICIES] },
  eventTrigger: ref('eventTrigger'),
  natsSubject: { type: 'string', pattern: NATS_SUBJECT_PATTERN },
  dedupeKey: { type: 'string', minLength: 1 },
  after: { type: 'array', minItems: 1, items: ref('afterEntry') },
};
