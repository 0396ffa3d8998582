-- The worker's queue: open escalations not yet answered, oldest first (worker.py claims batches of it
-- with a keyset cursor, so catching up on 100,000 signals reads each index entry about once).
CREATE INDEX risk_signals_pending_idx ON risk_signals (detected_at, id)
    WHERE status = 'open' AND response_sent_at IS NULL
      AND signal_type IN ('ticket_escalated', 'executive_complaint', 'critical_issue');
