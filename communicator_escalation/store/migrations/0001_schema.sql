-- World tables (the escalation-world/1 format) and the skill's own tables.

CREATE TABLE vendor (
    id            smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    name          text NOT NULL,
    email_domain  text NOT NULL
);

CREATE TABLE staff (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    email       text NOT NULL,
    role        text NOT NULL,
    manager_id  text REFERENCES staff (id) DEFERRABLE INITIALLY DEFERRED,
    title       text,
    phone       text,
    timezone    text,
    metadata    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX staff_role_idx ON staff (role);
CREATE INDEX staff_email_idx ON staff (lower(email));

CREATE TABLE customers (
    id                    text PRIMARY KEY,
    name                  text NOT NULL,
    domain                text,
    arr                   numeric(14, 2) NOT NULL,
    tier                  text NOT NULL,
    health_score          integer NOT NULL CHECK (health_score BETWEEN 0 AND 100),
    renewal_date          date,
    timezone              text,
    customer_since        date,
    csm_id                text NOT NULL REFERENCES staff (id),
    account_executive_id  text REFERENCES staff (id),
    support_lead_id       text REFERENCES staff (id),
    executive_sponsor_id  text REFERENCES staff (id),
    metadata              jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX customers_csm_idx ON customers (csm_id);

CREATE TABLE health_history (
    customer_id  text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL,
    score        integer NOT NULL CHECK (score BETWEEN 0 AND 100),
    PRIMARY KEY (customer_id, at)
);

CREATE TABLE contacts (
    id           text PRIMARY KEY,
    customer_id  text NOT NULL REFERENCES customers (id),
    name         text NOT NULL,
    title        text,
    email        text NOT NULL,
    role         text,
    metadata     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX contacts_customer_idx ON contacts (customer_id);

CREATE TABLE tickets (
    id                    text PRIMARY KEY,
    customer_id           text NOT NULL REFERENCES customers (id),
    subject               text NOT NULL,
    description           text,
    priority              text NOT NULL,
    status                text NOT NULL,
    opened_at             timestamptz NOT NULL,
    requester_contact_id  text REFERENCES contacts (id),
    assignee_id           text REFERENCES staff (id),
    metadata              jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX tickets_customer_idx ON tickets (customer_id);

CREATE TABLE ticket_events (
    ticket_id  text NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    seq        integer NOT NULL,
    at         timestamptz NOT NULL,
    kind       text NOT NULL,
    note       text,
    metadata   jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (ticket_id, seq)
);

CREATE TABLE communications (
    id           text PRIMARY KEY,
    customer_id  text NOT NULL REFERENCES customers (id),
    channel      text NOT NULL,
    direction    text NOT NULL,
    at           timestamptz NOT NULL,
    subject      text,
    body         text,
    contact_id   text REFERENCES contacts (id),
    staff_id     text REFERENCES staff (id),
    thread_id    text,
    message_id   text,
    metadata     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX communications_customer_at_idx ON communications (customer_id, at DESC);

CREATE TABLE risk_signals (
    id                      text PRIMARY KEY,
    customer_id             text NOT NULL REFERENCES customers (id),
    signal_type             text NOT NULL,
    severity                text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
    source                  text NOT NULL,
    escalation_type         text CHECK (escalation_type IN ('technical', 'billing', 'service', 'security', 'outage')),
    title                   text NOT NULL,
    description             text,
    detected_at             timestamptz NOT NULL,
    status                  text NOT NULL CHECK (status IN ('open', 'resolved')),
    reported_by_contact_id  text REFERENCES contacts (id),
    ticket_id               text REFERENCES tickets (id),
    communication_id        text REFERENCES communications (id),
    response_sent_at        timestamptz,
    response_email_id       text,
    metadata                jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX risk_signals_customer_idx ON risk_signals (customer_id, detected_at DESC);

CREATE TABLE save_plays (
    id           text PRIMARY KEY,
    customer_id  text NOT NULL REFERENCES customers (id),
    title        text NOT NULL,
    status       text NOT NULL,
    owner_id     text REFERENCES staff (id),
    created_at   timestamptz NOT NULL,
    actions      jsonb NOT NULL DEFAULT '[]',
    metadata     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX save_plays_customer_idx ON save_plays (customer_id);

-- One row per drafted response and its life.
CREATE TABLE escalation_responses (
    id              text PRIMARY KEY,
    risk_signal_id  text NOT NULL REFERENCES risk_signals (id),
    customer_id     text NOT NULL REFERENCES customers (id),
    status          text NOT NULL DEFAULT 'drafted' CHECK (status IN
                    ('drafted', 'pending_approval', 'approved', 'sending', 'sent', 'failed', 'unknown', 'rejected')),
    sender_id       text REFERENCES staff (id),
    to_addrs        jsonb NOT NULL DEFAULT '[]',
    cc_addrs        jsonb NOT NULL DEFAULT '[]',
    subject         text NOT NULL,
    body            text NOT NULL,
    in_reply_to     text,
    thread_id       text,
    draft           jsonb NOT NULL DEFAULT '{}',
    created_by      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    email_id        text,
    provider_draft_id text,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    response_minutes integer,
    sla_at_send     jsonb
);
CREATE INDEX escalation_responses_signal_idx ON escalation_responses (risk_signal_id, created_at DESC);
CREATE INDEX escalation_responses_customer_idx ON escalation_responses (customer_id, created_at DESC);

CREATE TABLE approval_requests (
    id            text PRIMARY KEY,
    response_id   text NOT NULL REFERENCES escalation_responses (id),
    content_hash  text NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'void')),
    urgent        boolean NOT NULL DEFAULT false,
    priority      integer NOT NULL DEFAULT 0,
    requested_by  text,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    approver_id   text REFERENCES staff (id),
    decided_by    text,
    decided_at    timestamptz,
    reason        text
);
CREATE INDEX approval_requests_response_idx ON approval_requests (response_id);
CREATE INDEX approval_requests_pending_idx ON approval_requests (status, priority DESC, requested_at);

-- Append-only record of every state change, with the actor.
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    entity     text NOT NULL,
    entity_id  text NOT NULL,
    action     text NOT NULL,
    detail     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, id);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
