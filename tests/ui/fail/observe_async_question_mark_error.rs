use mcp_trace_runtime::observe;

#[observe]
async fn parse(text: String) -> Result<i64, String> {
    let number: i64 = text.parse()?;
    Ok(number)
}

fn main() {}
