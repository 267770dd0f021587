-- Airflow-grade task semantics: reschedule-mode sensors and run deadlines (dagrun_timeout).

-- Sensor pokes that found their condition not yet met: they take an attempt number (the fencing token)
-- but not a try, so retries count `attempt - reschedules`.
ALTER TABLE task_instances ADD COLUMN reschedules integer NOT NULL DEFAULT 0;
-- When a reschedule-mode sensor's current try first poked: its timeout runs from here.
ALTER TABLE task_instances ADD COLUMN sensor_started_at timestamptz;
-- The attempt number when the task was last cleared (`tributary clear`): its tries count from there,
-- while attempt numbers keep increasing so that earlier attempts stay in task_attempts.
ALTER TABLE task_instances ADD COLUMN attempt_base integer NOT NULL DEFAULT 0;

-- Retry and reschedule timers share retry_at; the sweep finds both through one partial index.
DROP INDEX task_instances_retry_due;
CREATE INDEX task_instances_timer_due ON task_instances (retry_at)
  WHERE state IN ('up_for_retry', 'up_for_reschedule');

-- When a run times out (created_at + dagrun_timeout); null for none.
ALTER TABLE runs ADD COLUMN deadline_at timestamptz;
CREATE INDEX runs_deadline_due ON runs (deadline_at) WHERE state = 'running' AND deadline_at IS NOT NULL;

-- max_active_runs: runs wait `queued` until a slot frees; the start sweep looks for them per DAG.
CREATE INDEX runs_queued ON runs (dag, created_at) WHERE state = 'queued';
CREATE INDEX runs_running_by_dag ON runs (dag) WHERE state = 'running';

-- dag tasks: the run and task that triggered a run (Airflow's TriggerDagRunOperator); null otherwise.
-- No foreign key: runs are never deleted one by one, and the API checks the parent exists.
ALTER TABLE runs ADD COLUMN parent_run_id uuid;
ALTER TABLE runs ADD COLUMN parent_task_id text;
CREATE INDEX runs_by_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
