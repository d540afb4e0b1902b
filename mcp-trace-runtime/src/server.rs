//! MCP server on rmcp serving `#[mcp_tool]` registrations (in progress).
