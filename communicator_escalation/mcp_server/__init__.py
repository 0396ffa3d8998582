"""The MCP door: `escalation mcp` serves the escalation skill's typed tools over the Model Context Protocol."""
