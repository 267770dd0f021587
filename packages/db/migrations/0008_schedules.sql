-- Schedules, event triggers and data-aware triggers (issue 7).

-- How a run came to be, and the data interval it covers. Runs created before this migration are
-- manual runs whose logical date is their creation time.
ALTER TABLE runs ADD COLUMN run_type text NOT NULL DEFAULT 'manual'
  CHECK (run_type IN ('manual', 'scheduled', 'backfill', 'event', 'after'));
ALTER TABLE runs ADD COLUMN logical_date timestamptz;
ALTER TABLE runs ADD COLUMN data_interval_start timestamptz;
ALTER TABLE runs ADD COLUMN data_interval_end timestamptz;
UPDATE runs SET logical_date = created_at, data_interval_start = created_at, data_interval_end = created_at;
ALTER TABLE runs ALTER COLUMN logical_date SET NOT NULL;
ALTER TABLE runs ALTER COLUMN data_interval_start SET NOT NULL;
ALTER TABLE runs ALTER COLUMN data_interval_end SET NOT NULL;

-- Exactly one scheduled or backfill run per DAG and logical date, whichever coordinator creates it:
-- the key, not the scheduler's care, is what makes a second one impossible.
CREATE UNIQUE INDEX runs_one_per_logical_date ON runs (dag, logical_date)
  WHERE run_type IN ('scheduled', 'backfill');
-- The scheduler counts each DAG's scheduled runs still going.
CREATE INDEX runs_scheduled_active ON runs (dag) WHERE run_type = 'scheduled' AND state IN ('queued', 'running');

-- A DAG's scheduler state. `cursor` is the start of the last data interval the scheduler handled (ran,
-- skipped or buffered); `buffered` the interval the buffer_one policy holds until the previous run ends;
-- `first_seen_at` stands in for a schedule without start_date.
CREATE TABLE dag_schedules (
  dag            text PRIMARY KEY REFERENCES dags (name),
  paused         boolean NOT NULL DEFAULT false,
  cursor         timestamptz,
  buffered       timestamptz,
  skipped        bigint NOT NULL DEFAULT 0,
  first_seen_at  timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Event messages that started no run because they failed: params that do not render or validate, a
-- DAG that does not exist any more. Kept so that they are visible (tributary dags, metrics).
CREATE TABLE rejected_events (
  id           bigserial PRIMARY KEY,
  dag          text NOT NULL,
  subject      text NOT NULL,
  stream_seq   bigint NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  error        text NOT NULL,
  payload      text NOT NULL
);
CREATE INDEX rejected_events_by_dag ON rejected_events (dag, id DESC);
CREATE UNIQUE INDEX rejected_events_once ON rejected_events (dag, stream_seq);

-- Data-aware triggers: a success of an upstream task that a DAG's `after` names, not yet used by a run
-- of that DAG. The latest success per (dag, upstream task) counts; a run starts when every entry of the
-- DAG's `after` has one, and consumes them in the same transaction.
CREATE TABLE after_events (
  dag            text NOT NULL REFERENCES dags (name),
  source_dag     text NOT NULL,
  source_task    text NOT NULL,
  source_run_id  uuid NOT NULL,
  succeeded_at   timestamptz NOT NULL,
  PRIMARY KEY (dag, source_dag, source_task)
);
