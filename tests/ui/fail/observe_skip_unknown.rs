use mcp_trace_runtime::observe;

#[observe(skip(nope))]
fn get_weather(location: String) -> String {
    location
}

fn main() {}
