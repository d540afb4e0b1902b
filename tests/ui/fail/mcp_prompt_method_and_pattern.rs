use mcp_trace_runtime::mcp_prompt;

struct Prompts;

impl Prompts {
    #[mcp_prompt]
    fn greet(&self) -> String {
        "hello".into()
    }
}

#[mcp_prompt]
fn pair((a, b): (String, String)) -> String {
    a + &b
}

fn main() {}
