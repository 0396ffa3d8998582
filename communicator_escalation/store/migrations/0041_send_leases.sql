-- Fenced send attempts. Each claim of a response for sending opens a lease: who holds it, since
-- when, its last heartbeat and when it expires, and the exact content and Message-ID it carries.
-- The response row points at its current lease; only the holder of the current lease may record a
-- provider draft or a delivery as its own, and only an expired lease may be taken over.

CREATE TABLE send_leases (
    id                 text PRIMARY KEY,
    response_id        text NOT NULL REFERENCES escalation_responses (id),
    owner              text NOT NULL,
    actor              text NOT NULL,
    message_id         text NOT NULL,
    content_hash       text NOT NULL,
    content            jsonb NOT NULL,
    provider_draft_id  text,
    started_at         timestamptz NOT NULL,
    heartbeat_at       timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL,
    ended_at           timestamptz,
    outcome            text CHECK (outcome IN ('sent', 'failed', 'unknown', 'taken_over', 'fenced')),
    taken_over_by      text REFERENCES send_leases (id)
);
CREATE INDEX send_leases_response_idx ON send_leases (response_id, started_at);

ALTER TABLE escalation_responses ADD COLUMN lease_id text REFERENCES send_leases (id);
ALTER TABLE send_attempts ADD COLUMN lease_id text REFERENCES send_leases (id);

-- New steps: asking the provider by Message-ID (discarding its drafts first) before any resend or takeover.
ALTER TABLE send_attempts DROP CONSTRAINT send_attempts_step_check;
ALTER TABLE send_attempts ADD CONSTRAINT send_attempts_step_check
    CHECK (step IN ('create_draft', 'send_draft', 'draft_status', 'ask_provider'));
ALTER TABLE send_attempts DROP CONSTRAINT send_attempts_outcome_check;
ALTER TABLE send_attempts ADD CONSTRAINT send_attempts_outcome_check
    CHECK (outcome IN ('started', 'sent', 'not_sent', 'transient', 'ambiguous', 'error', 'fenced'));
