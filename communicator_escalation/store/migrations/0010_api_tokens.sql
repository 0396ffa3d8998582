-- Bearer tokens of the HTTP API. Only a sha256 of each token is kept; the token itself is shown once.

CREATE TABLE api_tokens (
    id            text PRIMARY KEY,
    token_hash    text NOT NULL UNIQUE,
    staff_id      text NOT NULL REFERENCES staff (id),
    label         text,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_tokens_staff_idx ON api_tokens (staff_id);
