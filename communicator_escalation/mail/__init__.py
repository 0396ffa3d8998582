"""Message building and transports (local outbox, Gmail)."""
