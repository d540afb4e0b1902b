use mcp_trace_runtime::mcp_tool;

#[mcp_tool]
fn get_forecast(
    location: String,
    #[default]
    days: i64,
) -> String {
    format!("{days} days in {location}")
}

fn main() {}
