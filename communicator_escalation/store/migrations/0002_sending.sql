-- Step 4: the message identity kept across retries, send attempts and approval notifications.

ALTER TABLE escalation_responses ADD COLUMN message_id text;
ALTER TABLE escalation_responses ADD COLUMN transport text;
ALTER TABLE escalation_responses ADD COLUMN claimed_at timestamptz;

-- One row per delivery attempt (and per reconcile check), never updated after it finishes.
CREATE TABLE send_attempts (
    id                   bigserial PRIMARY KEY,
    response_id          text NOT NULL REFERENCES escalation_responses (id),
    attempt              integer NOT NULL,
    transport            text NOT NULL,
    step                 text NOT NULL CHECK (step IN ('create_draft', 'send_draft', 'draft_status')),
    started_at           timestamptz NOT NULL,
    finished_at          timestamptz,
    outcome              text NOT NULL DEFAULT 'started' CHECK (outcome IN
                         ('started', 'sent', 'not_sent', 'transient', 'ambiguous', 'error')),
    status_code          integer,
    retry_after_seconds  double precision,
    delay_seconds        double precision,
    error                text
);
CREATE INDEX send_attempts_response_idx ON send_attempts (response_id, id);

-- Who was told about an approval, how, and whether the internal email went out.
CREATE TABLE approval_notifications (
    id               bigserial PRIMARY KEY,
    approval_id      text NOT NULL REFERENCES approval_requests (id),
    response_id      text NOT NULL REFERENCES escalation_responses (id),
    kind             text NOT NULL CHECK (kind IN
                     ('approval_requested', 'urgent_approval_requested', 'expedited_approved', 'approved', 'rejected')),
    recipient_id     text REFERENCES staff (id),
    recipient_email  text NOT NULL,
    subject          text NOT NULL,
    body             text NOT NULL,
    created_at       timestamptz NOT NULL,
    delivery         text NOT NULL DEFAULT 'recorded' CHECK (delivery IN ('recorded', 'sent', 'failed')),
    transport        text,
    email_id         text,
    error            text,
    delivered_at     timestamptz
);
CREATE INDEX approval_notifications_approval_idx ON approval_notifications (approval_id, id);
