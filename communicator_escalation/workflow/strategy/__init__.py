"""Step 2: escalation type, tone, SLA clock, timeline, action items and CC suggestions."""
