"""CLI commands that hold a conversation with the agent (`escalation chat`, `escalation demo`) and print it."""
