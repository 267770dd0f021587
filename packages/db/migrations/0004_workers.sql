-- The worker registry: the latest heartbeat of each worker, as the coordinator received it, so that
-- `ListWorkers` can show who is live, stopped or unresponsive. A table rather than coordinator memory,
-- so that several coordinators can share it. Rows of stopped and unresponsive workers are deleted once
-- their last heartbeat is older than the coordinator's workerRetentionMs.
CREATE TABLE workers (
  id text PRIMARY KEY,
  host text NOT NULL,
  pools text[] NOT NULL,
  concurrency integer NOT NULL,
  version text NOT NULL,
  -- Null when the worker did not say when it started.
  started_at timestamptz,
  -- The coordinator's clock when the heartbeat arrived, not the worker's.
  last_heartbeat_at timestamptz NOT NULL,
  -- True when that heartbeat was the worker's last, sent as it stopped.
  stopping boolean NOT NULL,
  -- The attempts it was running: [{"runId", "taskId", "attempt"}].
  running jsonb NOT NULL
);
