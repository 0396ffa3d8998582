-- The provider thread a response actually went out on (Gmail may start a new one: thread unknown to
-- the sender's mailbox, or a subject that does not match); differs from thread_id when it did.
ALTER TABLE escalation_responses ADD COLUMN IF NOT EXISTS sent_thread_id text;
