"""World files: the `escalation-world/1` format, streaming bulk loading, and synthetic worlds for scale tests."""
