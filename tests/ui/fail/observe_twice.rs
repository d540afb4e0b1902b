use mcp_trace_runtime::observe;

#[observe]
#[observe(name = "again")]
fn get_weather(location: String) -> String {
    location
}

fn main() {}
