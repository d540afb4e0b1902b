use mcp_trace_runtime::mcp_tool;

struct Station;

impl Station {
    #[mcp_tool]
    fn get_weather(&self, location: String) -> String {
        location
    }
}

fn main() {}
