-- After the send: the update clock, status updates on the same thread, the action plan as a save
-- play, the internal brief, past responses from world files, and the recorded outcomes.

-- A response is the first answer to its escalation, a status update, or the closing email.
ALTER TABLE escalation_responses ADD COLUMN kind text NOT NULL DEFAULT 'first'
    CHECK (kind IN ('first', 'update', 'closing'));
-- The sent message an update replies to (its Message-ID is the update's In-Reply-To).
ALTER TABLE escalation_responses ADD COLUMN follows_response_id text REFERENCES escalation_responses (id);
-- When the next status update is owed (only on the latest sent message of an open thread).
ALTER TABLE escalation_responses ADD COLUMN next_update_due timestamptz;
-- When the follow-through of a sent response (plan, clock, brief, outcome) was recorded.
ALTER TABLE escalation_responses ADD COLUMN followed_through_at timestamptz;
CREATE INDEX escalation_responses_update_due_idx ON escalation_responses (next_update_due)
    WHERE next_update_due IS NOT NULL;

-- When an escalation was resolved (optional in world files; time to resolution counts to it).
ALTER TABLE risk_signals ADD COLUMN resolved_at timestamptz;

-- A save play recorded from a sent response's action plan points back at it.
ALTER TABLE save_plays ADD COLUMN risk_signal_id text REFERENCES risk_signals (id);
ALTER TABLE save_plays ADD COLUMN source_response_id text REFERENCES escalation_responses (id);
-- Structured plan: {"action_items": [{text, owner_id}], "milestones": [{milestone, due, due_text, status}]}.
ALTER TABLE save_plays ADD COLUMN plan jsonb NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX save_plays_source_response_idx ON save_plays (source_response_id)
    WHERE source_response_id IS NOT NULL;

-- Responses sent before this skill kept records: the `responses` section of a world file.
CREATE TABLE past_responses (
    id              text PRIMARY KEY,
    risk_signal_id  text NOT NULL REFERENCES risk_signals (id),
    customer_id     text NOT NULL REFERENCES customers (id),
    kind            text NOT NULL DEFAULT 'first' CHECK (kind IN ('first', 'update', 'closing')),
    sender_id       text REFERENCES staff (id),
    to_contact_id   text REFERENCES contacts (id),
    cc_addrs        jsonb NOT NULL DEFAULT '[]',
    subject         text,
    template        text CHECK (template IN ('technical', 'billing', 'service', 'security', 'outage')),
    tone            text,
    expedited       boolean NOT NULL DEFAULT false,
    edit_ratio      double precision CHECK (edit_ratio BETWEEN 0 AND 1),
    sent_at         timestamptz NOT NULL,
    message_id      text,
    thread_id       text,
    metadata        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX past_responses_signal_idx ON past_responses (risk_signal_id, sent_at);
CREATE INDEX past_responses_customer_idx ON past_responses (customer_id, sent_at DESC);

-- Every sent message to a customer about an escalation: ours and the world's past ones (ours on the
-- thread it actually went out on, 0040's sent_thread_id).
CREATE VIEW sent_responses AS
SELECT r.id, r.risk_signal_id, r.customer_id, r.kind, r.sender_id, r.cc_addrs, r.subject,
       r.draft -> 'strategy' ->> 'template' AS template, r.draft -> 'strategy' ->> 'tone' AS tone,
       EXISTS (SELECT 1 FROM approval_requests a WHERE a.response_id = r.id AND a.status = 'approved'
               AND a.decided_by = 'policy:expedited') AS expedited,
       NULL::double precision AS edit_ratio, r.draft -> 'email' ->> 'body' AS drafted_body, r.body,
       r.sent_at, r.message_id, coalesce(r.sent_thread_id, r.thread_id) AS thread_id, 'skill'::text AS origin
  FROM escalation_responses r WHERE r.status = 'sent'
UNION ALL
SELECT p.id, p.risk_signal_id, p.customer_id, p.kind, p.sender_id, p.cc_addrs, p.subject, p.template, p.tone,
       p.expedited, p.edit_ratio, NULL, NULL, p.sent_at, p.message_id, p.thread_id, 'world'
  FROM past_responses p;

-- The internal escalation brief written for the CC'd team when a first response is sent.
CREATE TABLE escalation_briefs (
    response_id    text PRIMARY KEY REFERENCES escalation_responses (id),
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'written', 'failed')),
    markdown       text NOT NULL,
    title          text NOT NULL,
    path           text,
    doc_id         text,
    doc_url        text,
    attempts       integer NOT NULL DEFAULT 0,
    error          text,
    created_at     timestamptz NOT NULL,
    written_at     timestamptz
);

-- What happened after each first response (recorded at send, refreshed by `escalation sync`).
CREATE TABLE response_outcomes (
    response_id              text PRIMARY KEY,
    first_reply_id           text REFERENCES communications (id) ON DELETE SET NULL,
    first_reply_at           timestamptz,
    reply_tone               text CHECK (reply_tone IN ('positive', 'neutral', 'negative')),
    tone_method              text,
    resolved_at              timestamptz,
    re_escalation_signal_id  text REFERENCES risk_signals (id) ON DELETE SET NULL,
    window_closed            boolean NOT NULL DEFAULT false,
    health_at_send           integer,
    health_after             integer,
    edit_ratio               double precision,
    cc_pattern               text NOT NULL DEFAULT 'none',
    de_escalated             boolean,
    final                    boolean NOT NULL DEFAULT false,
    recorded_at              timestamptz NOT NULL
);
