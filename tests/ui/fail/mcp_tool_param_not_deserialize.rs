use mcp_trace_runtime::mcp_tool;

pub struct Location {
    pub city: String,
}

#[mcp_tool]
fn get_weather(location: Location) -> String {
    location.city
}

fn main() {}
