//! Attribute macros of mcp-trace.
