-- The run loop sends its transaction in one round trip (BEGIN, its writes and COMMIT together), so the
-- leader lease check cannot be answered before the writes go out: it must abort the transaction from
-- inside the server when this coordinator no longer leads. This raises, with a SQLSTATE of our own
-- that the coordinator recognizes; the COMMIT sent after it then rolls everything back.
CREATE FUNCTION tributary_lease_lost(lease text, session text, epoch bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'session % no longer holds lease % at epoch %', session, lease, epoch
    USING ERRCODE = 'TRB01';
END
$$;
