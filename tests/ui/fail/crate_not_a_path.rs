use mcp_trace_runtime::{mcp_prompt, mcp_tool, observe, with_otel_headers};

#[observe(crate = 42)]
fn number() {}

#[with_otel_headers(crate = "not a path")]
fn words() {}

#[mcp_tool(crate = rt::<T>)]
fn generic_path() {}

#[mcp_prompt(crate = rt, crate = rt)]
fn twice() -> String {
    String::new()
}

fn main() {}
