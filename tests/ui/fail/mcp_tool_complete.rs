use mcp_trace_runtime::mcp_tool;

fn cities(_typed: &str) -> Vec<String> {
    vec![]
}

#[mcp_tool]
fn weather(#[complete(cities)] city: String) -> String {
    city
}

fn main() {}
