"""Step 1: resolve the customer, pick the open escalation, gather its context."""
