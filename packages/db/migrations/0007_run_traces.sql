-- Tracing: a run's span ids are fixed when it is created, so that its attempts' spans (recorded by
-- whichever coordinator leads then) and the workers' spans point at it, and so that the run's span is
-- recorded with those ids when the run finishes, possibly by another coordinator after a failover.

-- The W3C traceparent of the run's span (trace id, span id, sampled flag); null for runs created before
-- this migration, which get a fresh one when loaded.
ALTER TABLE runs ADD COLUMN traceparent text;
-- The span the run's span is a child of: the traced gRPC client's span that triggered it, or a parent
-- run's task attempt; null for a root span.
ALTER TABLE runs ADD COLUMN trace_parent_span_id text;
