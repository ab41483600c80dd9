"""Agents: the JSON task protocol (``task``: BackendTaskMessage in, BackendResultMessage out), the markdown
report it hands over (``report``), the JSON Schemas of its messages (``schemas``) and the MCP server
(``mcp_server``, imported only by `pgmanager mcp`: it needs the optional ``mcp`` SDK).

Like the CLI, they call the api functions and return its models; they never print.
"""
