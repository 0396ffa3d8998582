"""Step 3: the escalation email from a template, an optional grounded rewrite, saved drafts."""
