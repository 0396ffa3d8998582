-- Approval requests made in the same instant (a pinned clock, a fast re-request after an edit)
-- still have a definite order: "the latest request" is the highest seq, not a random id.
ALTER TABLE approval_requests ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE INDEX approval_requests_response_seq_idx ON approval_requests (response_id, seq DESC);
