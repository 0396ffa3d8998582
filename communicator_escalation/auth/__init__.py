"""Authentication (API bearer tokens) and authorization (the one access rule)."""
