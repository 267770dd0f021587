-- Tributary's initial schema. Migrations only go forward; never edit one that has shipped.

CREATE TABLE dags (
  name        text PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per distinct bundle of a DAG: a changed folder is a new version; runs pin a version.
CREATE TABLE dag_versions (
  dag          text NOT NULL REFERENCES dags (name),
  version      integer NOT NULL,
  bundle_hash  text NOT NULL,
  model        jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dag, version),
  UNIQUE (dag, bundle_hash)
);

CREATE TABLE runs (
  id           uuid PRIMARY KEY,
  dag          text NOT NULL,
  dag_version  integer NOT NULL,
  state        text NOT NULL,
  params       jsonb NOT NULL,
  request_id   text UNIQUE,
  created_at   timestamptz NOT NULL,
  finished_at  timestamptz,
  FOREIGN KEY (dag, dag_version) REFERENCES dag_versions (dag, version)
);
CREATE INDEX runs_by_created ON runs (created_at DESC, id DESC);
CREATE INDEX runs_by_dag_created ON runs (dag, created_at DESC, id DESC);

-- The current state of each task of a run. `attempt` is the fencing token: a result for an older
-- attempt never changes the row.
CREATE TABLE task_instances (
  run_id        uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  task_id       text NOT NULL,
  position      integer NOT NULL,
  state         text NOT NULL,
  attempt       integer NOT NULL DEFAULT 0,
  pool          text NOT NULL,
  retry_at      timestamptz,
  output        jsonb,
  error         jsonb,
  worker_id     text,
  started_at    timestamptz,
  finished_at   timestamptz,
  heartbeat_at  timestamptz,
  PRIMARY KEY (run_id, task_id)
);
CREATE INDEX task_instances_retry_due ON task_instances (retry_at) WHERE state = 'up_for_retry';
CREATE INDEX task_instances_running ON task_instances (heartbeat_at) WHERE state = 'running';

-- Every attempt, kept with its outcome, timings and worker.
CREATE TABLE task_attempts (
  run_id       uuid NOT NULL,
  task_id      text NOT NULL,
  attempt      integer NOT NULL,
  state        text NOT NULL,
  worker_id    text,
  queued_at    timestamptz NOT NULL,
  started_at   timestamptz,
  finished_at  timestamptz,
  error        jsonb,
  log_tail     jsonb,
  PRIMARY KEY (run_id, task_id, attempt),
  FOREIGN KEY (run_id, task_id) REFERENCES task_instances (run_id, task_id) ON DELETE CASCADE
);

-- Task messages implied by committed transactions, not yet confirmed published. The relay deletes a
-- row after JetStream acknowledged it; `msg_id` makes a re-publish after a crash harmless.
CREATE TABLE outbox (
  id           bigserial PRIMARY KEY,
  msg_id       text NOT NULL,
  pool         text NOT NULL,
  payload      bytea NOT NULL,
  traceparent  text,
  created_at   timestamptz NOT NULL DEFAULT now()
);
