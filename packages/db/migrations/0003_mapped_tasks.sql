-- Dynamic fan-out (`map`): a mapped task's instances are task instance rows of their own, `T[0]`, `T[1]`, ...
-- created when the task fans out. They sort after their task: same position, then by index.

-- On an instance's row: its index in the mapped list; null on every other row.
ALTER TABLE task_instances ADD COLUMN map_index integer;
-- On a mapped task's row once it fanned out: how many instances it has now (a clear and a shorter list
-- leave earlier instances beyond it as they ended); null before, and on every other row.
ALTER TABLE task_instances ADD COLUMN map_count integer;

-- max_active_tasks across the runs of a DAG: how many of its task instances are out, counted per tick.
CREATE INDEX task_instances_active ON task_instances (run_id) WHERE state IN ('queued', 'running');
