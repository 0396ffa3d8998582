"""After the send: the update clock, the action plan, the internal brief and status updates."""
