-- The web UI's sign-in: one-time sign-in links, browser sessions, and the key that signs session
-- cookies. Only sha256 hashes of link codes and session tokens are kept; each is shown once.

CREATE TABLE web_sign_in_links (
    code_hash   text PRIMARY KEY,
    staff_id    text NOT NULL REFERENCES staff (id),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE TABLE web_sessions (
    id            text PRIMARY KEY,
    token_hash    text NOT NULL UNIQUE,
    staff_id      text NOT NULL REFERENCES staff (id),
    signed_in_by  text NOT NULL CHECK (signed_in_by IN ('access_token', 'sign_in_link')),
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    ended_at      timestamptz
);
CREATE INDEX web_sessions_staff_idx ON web_sessions (staff_id);

-- One row: the key every server process signs cookies and CSRF tokens with (made by the first one).
CREATE TABLE web_signing_key (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
