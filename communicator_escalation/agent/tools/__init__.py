"""The skill's tools: argument schemas (`args`), handlers over the workflow (`handlers`), result models (`results`, `errors`)."""
