-- Coordinator high availability: one leader at a time runs the run loop, the worker-event consumer and
-- the sweeps; the others serve reads and forward writes to it. The leader holds this lease and renews it;
-- another coordinator takes it over once it has expired.
CREATE TABLE coordinator_lease (
  name text PRIMARY KEY,
  -- The coordinator's stable identity (host and gRPC address), and its process's session id: a
  -- coordinator restarted on the same address may take its own lease back at once.
  holder text NOT NULL,
  session text NOT NULL,
  -- Where followers forward write calls.
  address text NOT NULL,
  -- Grows at each change of session: the fencing token every write of the leader's run loop checks.
  epoch bigint NOT NULL,
  expires_at timestamptz NOT NULL
);

-- The lost-task sweep also finds attempts a worker received but had not started when it died: any
-- attempt out (queued or running) that a worker heartbeated and then stopped heartbeating.
DROP INDEX task_instances_running;
CREATE INDEX task_instances_heartbeats ON task_instances (heartbeat_at)
  WHERE state IN ('queued', 'running') AND heartbeat_at IS NOT NULL;
