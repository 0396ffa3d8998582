"""The LangGraph server door: `langgraph.json` at the repository root serves the Communicator agent.

`graph.make_graph` builds graph `communicator` for each request, acting as the staff member whose
bearer token authenticated it (`auth.auth`, LangGraph custom auth over `escalation token create`
tokens); the server (`langgraph dev`, langgraph-api, LangGraph Platform) supplies the persistence.
"""
