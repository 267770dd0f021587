-- Pools and queues: how long a task may wait for a worker, and how long it may go without a heartbeat.

-- When the current attempt, dispatched and still `queued`, fails for want of a worker starting it (the
-- task's queue_timeout); null when the task is not queued or has no queue_timeout. A durable timer like
-- retry_at: the queue timeout sweep finds due rows through the partial index below.
ALTER TABLE task_instances ADD COLUMN queue_deadline_at timestamptz;
CREATE INDEX task_instances_queue_deadline_due ON task_instances (queue_deadline_at)
  WHERE state = 'queued' AND queue_deadline_at IS NOT NULL;

-- The task's own heartbeat_timeout in ms, copied from the DAG version's model when the row is inserted;
-- null means the coordinator's heartbeat timeout. The lost-task sweep compares heartbeat_at against it.
ALTER TABLE task_instances ADD COLUMN heartbeat_timeout_ms integer;
