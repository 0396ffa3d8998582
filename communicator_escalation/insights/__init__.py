"""The learning loop: what happened after each response (outcomes) and what de-escalates (insights)."""
