"""The offline chat model: a deterministic model that reads a CSM's request and drives the escalation tools."""
