//! The seed's Weather Assistant MCP server, traced with mcp-trace.
//!
//! The tools live in [`tools`]; the binary serves them over Streamable HTTP
//! or stdio. The library form lets `weather-client --demo` run the same
//! server as a child process of its own binary.

pub mod tools;
