-- Tell listeners (the `escalation worker`) about every newly inserted open escalation signal,
-- whoever inserts it: a world load, the API or plain SQL. The payload is the signal id; the
-- notification is delivered when the inserting transaction commits (never for a rolled-back one).

CREATE FUNCTION notify_open_escalation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'open'
       AND NEW.signal_type IN ('ticket_escalated', 'executive_complaint', 'critical_issue') THEN
        PERFORM pg_notify('escalation_signal_opened', NEW.id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER risk_signals_notify_open_escalation
    AFTER INSERT ON risk_signals
    FOR EACH ROW EXECUTE FUNCTION notify_open_escalation();
