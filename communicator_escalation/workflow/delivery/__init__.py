"""Step 4 delivery: approval bound to the content, exactly-once sending, reconcile, tracking."""
