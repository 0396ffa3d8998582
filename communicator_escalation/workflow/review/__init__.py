"""Step 4 review: edits to the subject, body and recipients of a drafted response."""
