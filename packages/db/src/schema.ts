import type { Failure, JsonObject, JsonValue, RunType } from '@tributary/core';
import {
  bigint,
  bigserial,
  boolean,
  customType,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

// Mirrors migrations/*.sql, which are the source of truth for the database; this file gives queries
// their types. A test checks the two agree (schema.test.ts).

const bytea = customType<{ data: Uint8Array; driverData: Buffer }>({
  dataType: () => 'bytea',
  toDriver: (value) => Buffer.from(value),
  fromDriver: (value) => new Uint8Array(value),
});

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const dags = pgTable('dags', {
  name: text('name').primaryKey(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
});

export const dagVersions = pgTable(
  'dag_versions',
  {
    dag: text('dag').notNull(),
    version: integer('version').notNull(),
    bundleHash: text('bundle_hash').notNull(),
    model: jsonb('model').$type<JsonObject>().notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.dag, t.version] })],
);

export const runs = pgTable('runs', {
  id: uuid('id').primaryKey(),
  dag: text('dag').notNull(),
  dagVersion: integer('dag_version').notNull(),
  state: text('state').notNull(),
  params: jsonb('params').$type<JsonObject>().notNull(),
  requestId: text('request_id'),
  createdAt: timestamptz('created_at').notNull(),
  finishedAt: timestamptz('finished_at'),
  deadlineAt: timestamptz('deadline_at'),
  parentRunId: uuid('parent_run_id'),
  parentTaskId: text('parent_task_id'),
  traceparent: text('traceparent'),
  traceParentSpanId: text('trace_parent_span_id'),
  runType: text('run_type').$type<RunType>().notNull().default('manual'),
  logicalDate: timestamptz('logical_date').notNull(),
  dataIntervalStart: timestamptz('data_interval_start').notNull(),
  dataIntervalEnd: timestamptz('data_interval_end').notNull(),
});

export const dagSchedules = pgTable('dag_schedules', {
  dag: text('dag').primaryKey(),
  paused: boolean('paused').notNull().default(false),
  cursor: timestamptz('cursor'),
  buffered: timestamptz('buffered'),
  skipped: bigint('skipped', { mode: 'number' }).notNull().default(0),
  firstSeenAt: timestamptz('first_seen_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});

export const rejectedEvents = pgTable('rejected_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  dag: text('dag').notNull(),
  subject: text('subject').notNull(),
  streamSeq: bigint('stream_seq', { mode: 'number' }).notNull(),
  receivedAt: timestamptz('received_at').notNull().defaultNow(),
  error: text('error').notNull(),
  payload: text('payload').notNull(),
});

export const afterEvents = pgTable(
  'after_events',
  {
    dag: text('dag').notNull(),
    sourceDag: text('source_dag').notNull(),
    sourceTask: text('source_task').notNull(),
    sourceRunId: uuid('source_run_id').notNull(),
    succeededAt: timestamptz('succeeded_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.dag, t.sourceDag, t.sourceTask] })],
);

export const taskInstances = pgTable(
  'task_instances',
  {
    runId: uuid('run_id').notNull(),
    taskId: text('task_id').notNull(),
    position: integer('position').notNull(),
    state: text('state').notNull(),
    attempt: integer('attempt').notNull(),
    pool: text('pool').notNull(),
    retryAt: timestamptz('retry_at'),
    output: jsonb('output').$type<JsonValue>(),
    error: jsonb('error').$type<Failure>(),
    workerId: text('worker_id'),
    startedAt: timestamptz('started_at'),
    finishedAt: timestamptz('finished_at'),
    heartbeatAt: timestamptz('heartbeat_at'),
    reschedules: integer('reschedules').notNull(),
    sensorStartedAt: timestamptz('sensor_started_at'),
    attemptBase: integer('attempt_base').notNull(),
    mapIndex: integer('map_index'),
    mapCount: integer('map_count'),
    queueDeadlineAt: timestamptz('queue_deadline_at'),
    heartbeatTimeoutMs: integer('heartbeat_timeout_ms'),
  },
  (t) => [primaryKey({ columns: [t.runId, t.taskId] })],
);

export const taskAttempts = pgTable(
  'task_attempts',
  {
    runId: uuid('run_id').notNull(),
    taskId: text('task_id').notNull(),
    attempt: integer('attempt').notNull(),
    state: text('state').notNull(),
    workerId: text('worker_id'),
    queuedAt: timestamptz('queued_at').notNull(),
    startedAt: timestamptz('started_at'),
    finishedAt: timestamptz('finished_at'),
    error: jsonb('error').$type<Failure>(),
    logTail: jsonb('log_tail').$type<string[]>(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.taskId, t.attempt] })],
);

export const outbox = pgTable('outbox', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  msgId: text('msg_id').notNull(),
  pool: text('pool').notNull(),
  payload: bytea('payload').notNull(),
  traceparent: text('traceparent'),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
});

export const workers = pgTable('workers', {
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  pools: text('pools').array().notNull(),
  concurrency: integer('concurrency').notNull(),
  version: text('version').notNull(),
  startedAt: timestamptz('started_at'),
  lastHeartbeatAt: timestamptz('last_heartbeat_at').notNull(),
  stopping: boolean('stopping').notNull(),
  running: jsonb('running').$type<{ runId: string; taskId: string; attempt: number }[]>().notNull(),
});
